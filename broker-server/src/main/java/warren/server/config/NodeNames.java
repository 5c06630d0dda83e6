package warren.server.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/** Node names {@code prefix@host}: validation and completion of bare names with the short host name. */
public final class NodeNames {

    private static final Pattern FULL = Pattern.compile("[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+");
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_.-]+");

    private NodeNames() {
    }

    public static boolean isFullName(String name) {
        return FULL.matcher(name).matches();
    }

    /** {@code hare} becomes {@code hare@<short hostname>}; a full name is returned as is; anything else is null. */
    public static String complete(String name) {
        if (isFullName(name)) {
            return name;
        }
        if (BARE.matcher(name).matches()) {
            return name + "@" + shortHostname();
        }
        return null;
    }

    public static String host(String fullName) {
        return fullName.substring(fullName.indexOf('@') + 1);
    }

    /** The machine's short host name (up to the first dot), lower case as RabbitMQ uses it. */
    public static String shortHostname() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            name = "localhost";
        }
        int dot = name.indexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name).toLowerCase(Locale.ROOT);
    }
}
