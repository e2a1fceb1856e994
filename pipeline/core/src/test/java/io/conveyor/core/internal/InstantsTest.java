package io.conveyor.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link Instants} formats and parses exactly as {@link Instant#toString()} and {@link Instant#parse}. */
class InstantsTest {

    @Property(tries = 5000)
    void formatsAsTheJdkAndReadsItBack(@ForAll("instants") Instant instant) {
        String text = Instants.format(instant);
        assertThat(text).isEqualTo(instant.toString());
        assertThat(Instants.parse(text)).isEqualTo(instant);
    }

    @Property(tries = 5000)
    void parsesWhatTheJdkParsesAndRefusesWhatItRefuses(@ForAll("nearlyInstants") String text) {
        Instant expected;
        try {
            expected = Instant.parse(text);
        } catch (DateTimeParseException e) {
            assertThatThrownBy(() -> Instants.parse(text)).isInstanceOf(DateTimeParseException.class);
            return;
        }
        assertThat(Instants.parse(text)).isEqualTo(expected);
    }

    @Example
    void edges() {
        for (Instant t : new Instant[] {
            Instant.EPOCH,
            Instant.parse("0000-01-01T00:00:00Z"),
            Instant.parse("9999-12-31T23:59:59.999999999Z"),
            Instant.parse("+10000-01-01T00:00:00Z"),
            Instant.parse("-0001-12-31T23:59:59Z"),
            Instant.parse("1969-12-31T23:59:59.100Z"),
            Instant.parse("2024-02-29T12:00:00.000100Z"),
            Instant.MIN,
            Instant.MAX
        }) {
            assertThat(Instants.format(t)).isEqualTo(t.toString());
            assertThat(Instants.parse(t.toString())).isEqualTo(t);
        }
        for (String odd : new String[] {
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "２026-01-01T00:00:00Z"
        }) {
            parsesWhatTheJdkParsesAndRefusesWhatItRefuses(odd);
        }
    }

    @Provide
    Arbitrary<Instant> instants() {
        Arbitrary<Long> seconds = Arbitraries.oneOf(
                Arbitraries.longs().between(-70_000_000_000L, 260_000_000_000L),
                Arbitraries.longs().between(1_600_000_000L, 1_900_000_000L));
        Arbitrary<Integer> nanos = Arbitraries.oneOf(
                Arbitraries.just(0),
                Arbitraries.integers().between(0, 999).map(ms -> ms * 1_000_000),
                Arbitraries.integers().between(0, 999_999).map(us -> us * 1000),
                Arbitraries.integers().between(0, 999_999_999));
        return Combinators.combine(seconds, nanos).as(Instant::ofEpochSecond);
    }

    /** Well-formed instants with one character replaced, dropped or added. */
    @Provide
    Arbitrary<String> nearlyInstants() {
        Arbitrary<String> valid = instants().map(Instant::toString);
        Arbitrary<Character> chars = Arbitraries.of('0', '1', '2', '3', '5', '9', '-', ':', 'T', 'Z', '.', 'x', '+');
        return Combinators.combine(
                        valid,
                        Arbitraries.integers().between(0, 40),
                        chars,
                        Arbitraries.integers().between(0, 3))
                .as((s, at, c, how) -> {
                    int i = Math.min(at, s.length() - 1);
                    return switch (how) {
                        case 0 -> s;
                        case 1 -> s.substring(0, i) + c + s.substring(i + 1);
                        case 2 -> s.substring(0, i) + s.substring(i + 1);
                        default -> s.substring(0, i) + c + s.substring(i);
                    };
                });
    }
}
