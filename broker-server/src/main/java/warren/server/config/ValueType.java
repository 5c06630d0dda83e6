package warren.server.config;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How one configuration value is written and checked. {@link #parse} turns the text from
 * warren.conf (or an environment variable) into a Java value or throws
 * {@link IllegalArgumentException} whose message completes "expected ..." for {@link ConfigError}.
 */
public interface ValueType {

    /** What a good value looks like, e.g. "a whole number of seconds >= 0". */
    String expected();

    /** Returns the parsed value; throws IllegalArgumentException when {@code text} is malformed. */
    Object parse(String text);

    static ValueType string() {
        return simple("a non-empty string", text -> {
            if (text.isEmpty()) {
                throw new IllegalArgumentException();
            }
            return text;
        });
    }

    static ValueType bool() {
        return simple("true or false", text -> {
            switch (text.toLowerCase(Locale.ROOT)) {
                case "true":
                    return Boolean.TRUE;
                case "false":
                    return Boolean.FALSE;
                default:
                    throw new IllegalArgumentException();
            }
        });
    }

    static ValueType integer(long min, long max, String expected) {
        return simple(expected, text -> {
            long value;
            try {
                value = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException();
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException();
            }
            return value;
        });
    }

    static ValueType port() {
        return integer(0, 65535, "a TCP port number 0-65535");
    }

    static ValueType decimal(double min, double max, String expected) {
        return simple(expected, text -> {
            double value;
            try {
                value = new BigDecimal(text).doubleValue();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException();
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException();
            }
            return value;
        });
    }

    static ValueType oneOf(String... choices) {
        List<String> allowed = List.of(choices);
        return simple("one of " + String.join(", ", allowed), text -> {
            if (!allowed.contains(text)) {
                throw new IllegalArgumentException();
            }
            return text;
        });
    }

    /** A log level as RabbitMQ spells them. */
    static ValueType logLevel() {
        return oneOf("debug", "info", "warning", "error", "critical", "none");
    }

    /** {@code port} or {@code host:port} ({@code [v6addr]:port} for IPv6). */
    static ValueType listener() {
        return simple("a port (5672) or host:port (127.0.0.1:5672)", Listener::parse);
    }

    /** An IP address literal (IPv4 dotted quad or IPv6), never a name to resolve: 0.0.0.0, 127.0.0.1, ::1. */
    static ValueType ipAddress() {
        return simple("an IP address such as 127.0.0.1, 0.0.0.0 or ::1", text -> {
            boolean v4 = text.matches("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
            boolean v6 = text.contains(":") && text.matches("[0-9A-Fa-f:.]+");
            if (!v4 && !v6) {
                throw new IllegalArgumentException();
            }
            try {
                java.net.InetAddress.getByName(text); // a literal: checked, not resolved
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException();
            }
            return text;
        });
    }

    /** {@code name@host}. */
    static ValueType nodeName() {
        return simple("a node name such as warren@host1", text -> {
            if (!NodeNames.isFullName(text)) {
                throw new IllegalArgumentException();
            }
            return text;
        });
    }

    /** {@code false}, {@code true} (the default file name) or a file name. */
    static ValueType fileOrBool() {
        return simple("false, true or a file name", text -> {
            if (text.isEmpty()) {
                throw new IllegalArgumentException();
            }
            return text;
        });
    }

    /** Bytes with an optional unit as RabbitMQ accepts them: 50000000, 500MB, 2GB, 1GiB. */
    static ValueType dataAmount() {
        Pattern pattern = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");
        Map<String, Long> units = Map.ofEntries(Map.entry("", 1L),
                Map.entry("kb", 1000L), Map.entry("mb", 1000L * 1000), Map.entry("gb", 1000L * 1000 * 1000),
                Map.entry("k", 1024L), Map.entry("m", 1024L * 1024), Map.entry("g", 1024L * 1024 * 1024),
                Map.entry("kib", 1024L), Map.entry("mib", 1024L * 1024), Map.entry("gib", 1024L * 1024 * 1024));
        return simple("an amount of bytes such as 50000000, 500MB or 1GiB", text -> {
            Matcher m = pattern.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException();
            }
            Long unit = units.get(m.group(2).toLowerCase(Locale.ROOT));
            if (unit == null) {
                throw new IllegalArgumentException();
            }
            try {
                return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException();
            }
        });
    }

    /** A parser with a fixed description. */
    interface Parser {
        Object parse(String text);
    }

    static ValueType simple(String expected, Parser parser) {
        return new ValueType() {
            @Override
            public String expected() {
                return expected;
            }

            @Override
            public Object parse(String text) {
                return parser.parse(text);
            }
        };
    }
}
