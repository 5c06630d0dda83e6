package warren.core.session;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import warren.core.amqp.ConnectionException;

/** Parses SASL responses: PLAIN ("\0user\0pass", RFC 4616) and AMQPLAIN (a field table without its length). */
final class SaslCredentials {
    private SaslCredentials() {
    }

    /** Returns {user, password}, or null if the response is malformed. */
    static String[] parse(String mechanism, byte[] response) {
        if (mechanism.equals("PLAIN")) {
            String s = new String(response, StandardCharsets.UTF_8);
            int first = s.indexOf('\0');
            int second = first < 0 ? -1 : s.indexOf('\0', first + 1);
            if (first < 0 || second < 0) {
                return null;
            }
            return new String[] {s.substring(first + 1, second), s.substring(second + 1)};
        }
        if (mechanism.equals("AMQPLAIN")) {
            try {
                Map<String, Object> table = ConnectionSession.readTable(response);
                Object login = table.get("LOGIN");
                Object password = table.get("PASSWORD");
                if (login == null || password == null) {
                    return null;
                }
                return new String[] {login.toString(), password.toString()};
            } catch (ConnectionException e) {
                return null;
            }
        }
        return null;
    }
}
