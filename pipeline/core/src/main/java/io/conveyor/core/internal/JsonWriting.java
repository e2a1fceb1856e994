package io.conveyor.core.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.util.Map;

/**
 * A JSON tree walked straight onto a generator, as {@code ObjectMapper.writeTree} writes it but
 * without Jackson's serializer machinery (a third of a record's cost in the API's profile). A
 * property test checks it against Jackson. Stateless, thread-safe.
 */
public final class JsonWriting {
    private JsonWriting() {}

    /** Writes {@code node} as {@code mapper.writeTree} would. */
    public static void writeTree(JsonGenerator g, JsonNode node, ObjectMapper mapper) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    g.writeFieldName(field.getKey());
                    writeTree(g, field.getValue(), mapper);
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode element : node) {
                    writeTree(g, element, mapper);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(node.textValue());
            case BOOLEAN -> g.writeBoolean(node.booleanValue());
            case NULL -> g.writeNull();
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> g.writeNumber(node.intValue());
                    case LONG -> g.writeNumber(node.longValue());
                    case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
                    case BIG_DECIMAL -> g.writeNumber(node.decimalValue());
                    case FLOAT -> g.writeNumber(node.floatValue());
                    case DOUBLE -> g.writeNumber(node.doubleValue());
                }
            }
            case POJO -> {
                if (((POJONode) node).getPojo() instanceof RawValue raw) {
                    raw.serialize(g, null); // a RawJson payload: its bytes as they came
                } else {
                    mapper.writeTree(g, node);
                }
            }
            default -> mapper.writeTree(g, node); // binary, missing: Jackson's own rules
        }
    }
}
