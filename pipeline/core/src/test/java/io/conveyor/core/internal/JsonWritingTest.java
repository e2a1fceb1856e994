package io.conveyor.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.conveyor.core.Json;
import java.io.StringWriter;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The tree writer writes exactly what Jackson writes. */
class JsonWritingTest {
    private static final ObjectMapper MAPPER = Json.mapper();

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
