package io.conveyor.core.internal;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;
import java.time.format.DateTimeParseException;

/**
 * Instants on the wire, in exactly the ISO-8601 form of {@link Instant#toString()} and {@link
 * Instant#parse}, without {@code DateTimeFormatter} for the common shape ({@code
 * 2026-11-23T08:41:10.123Z}): formatting and parsing timestamps was a fifth of the cost of a task
 * record in the worker's and the API's profiles. Anything else goes to the JDK, which also
 * produces the errors. Property tests check both directions against the JDK. Stateless.
 */
public final class Instants {
    /** 0000-01-01 and 9999-12-31 as epoch days: the years {@link Instant#toString()} writes plainly. */
    private static final long FIRST_DAY = LocalDate.of(0, 1, 1).toEpochDay();

    private static final long LAST_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

    /**
     * The earliest instant the wire format carries: years before 0000 are nobody's task times, and
     * would take {@code toEpochMilli} and the latencies computed from them out of a {@code long}.
     */
    public static final Instant MIN = Instant.ofEpochSecond(FIRST_DAY * 86_400);

    /** The latest instant the wire format carries (see {@link #MIN}). */
    public static final Instant MAX = Instant.ofEpochSecond(LAST_DAY * 86_400 + 86_399, 999_999_999);

    private Instants() {}

    /** Whether {@code instant} lies within {@link #MIN} and {@link #MAX}, the years 0000 to 9999. */
    public static boolean onTheWire(Instant instant) {
        return !instant.isBefore(MIN) && !instant.isAfter(MAX);
    }

    /** {@code instant.toString()}, faster for the years 0 to 9999. */
    public static String format(Instant instant) {
        long seconds = instant.getEpochSecond();
        long day = Math.floorDiv(seconds, 86_400);
        if (day < FIRST_DAY || day > LAST_DAY) {
            return instant.toString();
        }
        int secondOfDay = Math.floorMod(seconds, 86_400);
        LocalDate date = LocalDate.ofEpochDay(day);
        StringBuilder s = new StringBuilder(30);
        digits(s, date.getYear(), 4).append('-');
        digits(s, date.getMonthValue(), 2).append('-');
        digits(s, date.getDayOfMonth(), 2).append('T');
        digits(s, secondOfDay / 3600, 2).append(':');
        digits(s, secondOfDay / 60 % 60, 2).append(':');
        digits(s, secondOfDay % 60, 2);
        int nano = instant.getNano();
        if (nano != 0) {
            s.append('.');
            if (nano % 1_000_000 == 0) {
                digits(s, nano / 1_000_000, 3);
            } else if (nano % 1000 == 0) {
                digits(s, nano / 1000, 6);
            } else {
                digits(s, nano, 9);
            }
        }
        return s.append('Z').toString();
    }

    /**
     * {@code Instant.parse(text)}: {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z} read directly, any
     * other form by the JDK.
     *
     * @throws DateTimeParseException as {@link Instant#parse} does
     */
    public static Instant parse(String text) {
        int n = text.length();
        if (n < 20
                || n > 30
                || n == 21
                || text.charAt(n - 1) != 'Z'
                || text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || text.charAt(10) != 'T'
                || text.charAt(13) != ':'
                || text.charAt(16) != ':') {
            return Instant.parse(text);
        }
        int year = number(text, 0, 4);
        int month = number(text, 5, 7);
        int day = number(text, 8, 10);
        int hour = number(text, 11, 13);
        int minute = number(text, 14, 16);
        int second = number(text, 17, 19);
        int nano = 0;
        if (n > 20) {
            if (text.charAt(19) != '.') {
                return Instant.parse(text);
            }
            int fraction = number(text, 20, n - 1);
            if (fraction < 0) {
                return Instant.parse(text);
            }
            nano = fraction;
            for (int i = n - 1 - 20; i < 9; i++) {
                nano *= 10;
            }
        } else if (text.charAt(19) != 'Z') {
            return Instant.parse(text);
        }
        if (year < 0
                || month < 1
                || month > 12
                || day < 1
                || hour < 0
                || hour > 23
                || minute < 0
                || minute > 59
                || second < 0
                || second > 59 // leap seconds: the JDK's rules
                || (day > 28 && day > Month.of(month).length(Year.isLeap(year)))) {
            return Instant.parse(text); // and its error message
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(days * 86_400 + hour * 3600L + minute * 60L + second, nano);
    }

    /** The decimal digits from {@code start} to {@code end}, or -1 if any is not a digit. */
    private static int number(String text, int start, int end) {
        int value = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static StringBuilder digits(StringBuilder s, int value, int width) {
        String text = Integer.toString(value);
        for (int i = text.length(); i < width; i++) {
            s.append('0');
        }
        return s.append(text);
    }
}
