package warren.server.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads the node's configuration: the defaults in {@code reference.conf} (HOCON, in the jar), the
 * operator file (rabbitmq.conf's {@code key = value} format, parsed as PROPERTIES so that
 * {@code warren@host1} and URLs need no quotes), programmatic overrides, then the {@code WARREN_*}
 * environment variables. Every key is checked against {@link KnownKeys}; the first problem is a
 * {@link ConfigError} naming the key, its source, the value and what was expected.
 */
public final class ConfigLoader {

    /** Where a raw value came from, for error messages. */
    private record Raw(String value, String source) {
    }

    private ConfigLoader() {
    }

    /**
     * @param env       the environment ({@code System.getenv()} in production)
     * @param home      the installation directory (the default config file is {@code home/config/warren.conf},
     *                  data and logs default below {@code home/var}); null means "no default file"
     * @param overrides warren.conf keys that win over the file (EmbeddedNode, tests)
     */
    public static WarrenConfig load(Map<String, String> env, Path home, Map<String, String> overrides) {
        Map<String, Raw> merged = flatReference();
        Path configFile = configFile(env, home);
        if (configFile != null) {
            overlay(merged, readOperatorFile(configFile));
        }
        Map<String, Raw> fromOverrides = new LinkedHashMap<>();
        overrides.forEach((k, v) -> fromOverrides.put(k.trim(), new Raw(v.trim(), "overrides")));
        overlay(merged, fromOverrides);
        Map<String, Object> values = validate(merged);
        return SettingsMapper.map(values, env, home, configFile);
    }

    private static Path configFile(Map<String, String> env, Path home) {
        String fromEnv = env.get("WARREN_CONFIG_FILE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path file = Path.of(fromEnv);
            if (!Files.isRegularFile(file)) {
                throw new ConfigError("environment variable WARREN_CONFIG_FILE: config file " + file.toAbsolutePath()
                        + " does not exist or is not a regular file; create it or unset WARREN_CONFIG_FILE");
            }
            return file.toAbsolutePath();
        }
        if (home != null) {
            Path file = home.resolve("config").resolve("warren.conf");
            if (Files.isRegularFile(file)) {
                return file.toAbsolutePath();
            }
        }
        return null;
    }

    private static Map<String, Raw> flatReference() {
        URL url = ConfigLoader.class.getResource("/reference.conf");
        if (url == null) {
            throw new IllegalStateException("reference.conf is missing from the broker-server jar");
        }
        Config reference = ConfigFactory.parseURL(url);
        Map<String, Raw> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : reference.root().entrySet()) {
            out.put(e.getKey(), new Raw(String.valueOf(e.getValue().unwrapped()), "reference.conf"));
        }
        return out;
    }

    /** Reads the operator file as flat {@code key -> value} pairs. */
    static Map<String, Raw> readOperatorFile(Path file) {
        String source = file.toString();
        String text = checkSyntax(file, source);
        Config parsed;
        try {
            parsed = ConfigFactory.parseString(text, ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.PROPERTIES).setAllowMissing(false).setOriginDescription(source));
        } catch (ConfigException e) {
            throw new ConfigError("config file " + source + " could not be read: " + e.getMessage(), e);
        }
        Map<String, Raw> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : parsed.entrySet()) {
            String key = String.join(".", ConfigUtil.splitPath(e.getKey()));
            out.put(key, new Raw(String.valueOf(e.getValue().unwrapped()).trim(), source));
        }
        // typesafe-config's properties parser keeps only the object when a key is both a value and a
        // prefix ("log.console = true" next to "log.console.level = debug"); recover such values.
        Properties plain = new Properties();
        try (Reader reader = new java.io.StringReader(text)) {
            plain.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigError("config file " + source + " could not be read: " + e.getMessage(), e);
        }
        for (String key : plain.stringPropertyNames()) {
            out.putIfAbsent(key.trim(), new Raw(plain.getProperty(key).trim(), source));
        }
        return out;
    }

    /**
     * What the properties parser would take silently or report badly: the file must be UTF-8 (say where
     * it is not), and every line that is not blank or a {@code #} comment must be {@code key = value}
     * (a line without '=' would otherwise become a key of its own, reported as unknown). Returns the text.
     */
    private static String checkSyntax(Path file, String source) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigError("config file " + source + " could not be read: " + e, e);
        }
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        java.nio.charset.CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, out, true);
        if (result.isError()) {
            int offset = in.position(); // documented: at the first octet of the malformed input
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new ConfigError(String.format("config file %s is not UTF-8: line %d, byte %d (octet 0x%02X at "
                    + "offset %d of the file) does not start a valid UTF-8 character; save the file as UTF-8",
                    source, line, offset - lineStart + 1, bytes[offset] & 0xff, offset));
        }
        String text = out.flip().toString();
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark is no line content
        }
        String[] lines = text.split("\r?\n|\r", -1);
        boolean continued = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            boolean continuation = continued;
            continued = endsWithOddBackslashes(line);
            if (continuation || line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            if (line.indexOf('=') <= 0) {
                // RabbitMQ's sentence for it, then which line and what is wrong with it
                throw new ConfigError("Syntax error in " + source + " after line " + (i + 1) + " column 1, parsing"
                        + " incomplete: line " + (i + 1) + " '" + line + "' is not 'key = value'"
                        + (line.startsWith("=") ? " (no key before '=')" : " (no '=')"));
            }
        }
        return text;
    }

    private static boolean endsWithOddBackslashes(String line) {
        int n = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            n++;
        }
        return n % 2 == 1;
    }

    /**
     * Lays {@code top} over {@code base}. A family ({@code auth_mechanisms.N}, {@code loopback_users.NAME})
     * set in {@code top} replaces the whole family of {@code base}, so a file that lists one mechanism gets one.
     */
    private static void overlay(Map<String, Raw> base, Map<String, Raw> top) {
        Set<String> families = new HashSet<>();
        for (String key : top.keySet()) {
            KnownKeys.lookup(key).filter(KnownKeys.Key::isFamily).ifPresent(k -> families.add(k.prefix()));
            if (key.equals("loopback_users")) {
                families.add("loopback_users");
            }
        }
        base.keySet().removeIf(key -> KnownKeys.lookup(key)
                .filter(k -> k.isFamily() && families.contains(k.prefix())).isPresent()
                || (key.equals("loopback_users") && families.contains("loopback_users")));
        base.putAll(top);
    }

    private static Map<String, Object> validate(Map<String, Raw> merged) {
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, TreeMap<Long, Object>> numbered = new LinkedHashMap<>();
        Map<String, Map<String, Object>> named = new LinkedHashMap<>();
        for (Map.Entry<String, Raw> e : merged.entrySet()) {
            String key = e.getKey();
            Raw raw = e.getValue();
            KnownKeys.Key known = KnownKeys.lookup(key).orElseThrow(() -> unknownKey(key, raw.source()));
            if (known.unsupported() != null) {
                throw new ConfigError("config key '" + key + "' in " + raw.source() + " is not supported by Warren: "
                        + known.unsupported() + " (docs/peer-discovery.md lists the keys Warren does not support)");
            }
            Object value;
            try {
                value = known.type().parse(raw.value());
            } catch (IllegalArgumentException | ClassCastException ex) {
                throw new ConfigError("config key '" + key + "' in " + raw.source() + ": expected "
                        + known.type().expected() + ", got '" + raw.value() + "'");
            }
            if (!known.isFamily()) {
                values.put(key, value);
            } else if (known.isNumbered()) {
                long index = Long.parseLong(key.substring(known.prefix().length() + 1));
                numbered.computeIfAbsent(known.prefix(), p -> new TreeMap<>()).put(index, value);
            } else {
                named.computeIfAbsent(known.prefix(), p -> new LinkedHashMap<>())
                        .put(key.substring(known.prefix().length() + 1), value);
            }
        }
        numbered.forEach((prefix, byIndex) -> values.put(prefix, List.copyOf(new ArrayList<>(byIndex.values()))));
        named.forEach((prefix, byName) -> {
            if (values.containsKey(prefix)) {
                Raw raw = merged.get(prefix);
                throw new ConfigError("config key '" + prefix + "' in " + raw.source() + ": '" + raw.value()
                        + "' cannot be combined with " + prefix + ".NAME keys; remove one of them");
            }
            values.put(prefix, byName);
        });
        return values;
    }

    private static ConfigError unknownKey(String key, String source) {
        String hint = KnownKeys.closest(key).map(k -> "; did you mean '" + k + "'?").orElse("");
        return new ConfigError("config key '" + key + "' in " + source + " is not a known key" + hint
                + " (docs/configuration.md lists every key)");
    }

    /**
     * The log file a node would use with default settings, derived from the environment only;
     * used to log a configuration error somewhere an operator will look.
     */
    public static Path defaultLogFile(Map<String, String> env, Path home) {
        String node;
        try {
            node = SettingsMapper.nodeName(env);
        } catch (ConfigError e) {
            node = "warren";
        }
        String base = env.get("WARREN_LOG_BASE");
        Path dir = base != null && !base.isBlank() ? Path.of(base)
                : (home != null ? home : Path.of("").toAbsolutePath()).resolve("var/log/warren");
        return dir.resolve(node + ".log");
    }

    /** The cookie file the environment names ({@code WARREN_COOKIE_FILE}, else {@code $HOME/.warren.cookie}). */
    public static Path cookieFile(Map<String, String> env) {
        return SettingsMapper.cookiePath(env);
    }

    /** The node registry directory ({@code WARREN_RUN_DIR}, else {@code <tmpdir>/warren-nodes}). */
    public static Path runDir(Map<String, String> env) {
        return SettingsMapper.runDir(env);
    }

    /** Names of the keys set to true in a named family such as {@code loopback_users.NAME}. */
    static Set<String> enabled(Object family) {
        Set<String> out = new LinkedHashSet<>();
        if (family instanceof Map<?, ?> map) {
            map.forEach((name, on) -> {
                if (Boolean.TRUE.equals(on)) {
                    out.add(String.valueOf(name));
                }
            });
        }
        return out;
    }
}
