package io.conveyor.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.conveyor.core.TaskCodec;
import java.io.StringWriter;
import java.time.Instant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The hand-written fast paths write exactly what Jackson and the JDK write. */
class JsonWritingTest {
    private static final ObjectMapper MAPPER = TaskCodec.mapper();

    @Property(tries = 5000)
    void anInstantIsWrittenAsInstantToStringWrites(@ForAll("instants") Instant instant) {
        assertThat(JsonWriting.iso(instant)).isEqualTo(instant.toString());
    }

    @Example
    void edgesOfTheFastPath() {
        for (Instant t : new Instant[] {
            Instant.EPOCH,
            Instant.parse("0000-01-01T00:00:00Z"),
            Instant.parse("9999-12-31T23:59:59.999999999Z"),
            Instant.parse("+10000-01-01T00:00:00Z"),
            Instant.parse("-0001-12-31T23:59:59Z"),
            Instant.parse("1969-12-31T23:59:59.100Z"),
            Instant.parse("2026-11-23T08:41:10.000100Z"),
            Instant.MIN,
            Instant.MAX
        }) {
            assertThat(JsonWriting.iso(t)).isEqualTo(t.toString());
        }
    }

    @Property(tries = 2000)
    void aTreeIsWrittenAsJacksonWritesIt(@ForAll("documents") String document) throws Exception {
        JsonNode tree = MAPPER.readTree(document);
        StringWriter ours = new StringWriter();
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(ours)) {
            JsonWriting.writeTree(g, tree, MAPPER);
        }
        assertThat(ours.toString()).isEqualTo(MAPPER.writeValueAsString(tree));
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
        return net.jqwik.api.Combinators.combine(seconds, nanos).as(Instant::ofEpochSecond);
    }

    @Provide
    Arbitrary<String> documents() {
        Arbitrary<String> scalars = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(s -> quote(s)),
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.bigIntegers()
                        .between(
                                new java.math.BigInteger("-99999999999999999999999"),
                                new java.math.BigInteger("99999999999999999999999"))
                        .map(String::valueOf),
                Arbitraries.doubles().map(String::valueOf),
                Arbitraries.of("1e400", "-0.0", "0.000001", "12.50", "true", "false", "null"));
        Arbitrary<String> arrays = scalars.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
        Arbitrary<String> values = Arbitraries.oneOf(scalars, arrays);
        Arbitrary<String> objects = Arbitraries.maps(
                        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6), values)
                .ofMaxSize(5)
                .map(m -> {
                    StringBuilder s = new StringBuilder("{");
                    m.forEach((k, v) -> s.append(s.length() > 1 ? "," : "")
                            .append(quote(k))
                            .append(':')
                            .append(v));
                    return s.append('}').toString();
                });
        return Arbitraries.oneOf(
                values, objects, objects.list().ofMaxSize(3).map(l -> "[" + String.join(",", l) + "]"));
    }

    private static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
