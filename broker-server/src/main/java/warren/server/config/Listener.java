package warren.server.config;

/**
 * A TCP listener address as written in {@code listeners.tcp.default}: a bare port means all
 * interfaces ({@code 0.0.0.0}); {@code host:port} and {@code [v6]:port} bind one address.
 */
public record Listener(String host, int port) {

    public static final String ALL_INTERFACES = "0.0.0.0";

    static Listener parse(String text) {
        String host = ALL_INTERFACES;
        String port = text;
        int colon = text.lastIndexOf(':');
        if (colon >= 0) {
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException();
            }
        }
        int value;
        try {
            value = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException();
        }
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException();
        }
        return new Listener(host, value);
    }

    public Listener withPort(int newPort) {
        return new Listener(host, newPort);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
