package warren.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Prints results as rabbitmqctl 3.10 does: tab-separated rows under a header row of column names
 * (header omitted with -q), or with {@code --formatter json} a JSON array of objects holding only
 * the chosen columns.
 */
final class Output {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;
    private final boolean quiet;
    private final boolean json;

    Output(PrintStream out, boolean quiet, boolean json) {
        this.out = out;
        this.quiet = quiet;
        this.json = json;
    }

    /** The "Listing users ..." line, suppressed by -q and by the JSON formatter. */
    void banner(String text) {
        if (!quiet && !json) {
            out.println(text);
        }
    }

    void line(String text) {
        if (!json) {
            out.println(text);
        }
    }

    void rows(JsonNode rows, List<String> columns) {
        if (json) {
            ArrayNode array = JSON.createArrayNode();
            for (JsonNode row : iterable(rows)) {
                ObjectNode o = array.addObject();
                for (String c : columns) {
                    o.set(c, row.has(c) ? row.get(c) : null);
                }
            }
            print(array);
            return;
        }
        if (!quiet) {
            out.println(String.join("\t", columns));
        }
        for (JsonNode row : iterable(rows)) {
            List<String> cells = new ArrayList<>();
            for (String c : columns) {
                cells.add(cell(row.get(c)));
            }
            out.println(String.join("\t", cells));
        }
    }

    void object(JsonNode value) {
        if (json) {
            print(value);
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            out.println(f.getKey() + ": " + cell(f.getValue()));
        }
    }

    void json(Object value) {
        if (json) {
            print(JSON.valueToTree(value));
        }
    }

    private void print(JsonNode node) {
        try {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One table cell: strings bare, lists as [a, b], tables as [{key,value}], null as empty. */
    static String cell(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "";
        }
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(e -> parts.add(cell(e)));
            return "[" + String.join(", ", parts) + "]";
        }
        if (v.isObject()) {
            List<String> parts = new ArrayList<>();
            v.fields().forEachRemaining(e -> parts.add("{" + e.getKey() + "," + cell(e.getValue()) + "}"));
            return "[" + String.join(", ", parts) + "]";
        }
        return v.asText();
    }

    private static Iterable<JsonNode> iterable(JsonNode rows) {
        return rows == null ? List.of() : rows;
    }
}
