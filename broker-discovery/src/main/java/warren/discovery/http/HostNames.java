package warren.discovery.http;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;

/** RFC 6125 host name matching of a server certificate, for {@code server_name_indication}. */
final class HostNames {

    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    private HostNames() {
    }

    /**
     * Whether {@code cert} names {@code host}: a subjectAltName DNS entry (a leading {@code *.}
     * matches exactly one label) or IP entry; the subject's CN only when there are no DNS entries.
     */
    static boolean matches(X509Certificate cert, String host) {
        String h = host.toLowerCase(Locale.ROOT);
        boolean sawDns = false;
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> entry : names) {
                    int type = (Integer) entry.get(0);
                    String value = String.valueOf(entry.get(1)).toLowerCase(Locale.ROOT);
                    if (type == DNS_NAME) {
                        sawDns = true;
                        if (dnsMatches(value, h)) {
                            return true;
                        }
                    } else if (type == IP_ADDRESS && value.equals(h)) {
                        return true;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return false;
        }
        if (sawDns) {
            return false;
        }
        String dn = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        for (String part : dn.split(",")) {
            if (part.regionMatches(true, 0, "CN=", 0, 3)) {
                return dnsMatches(part.substring(3).toLowerCase(Locale.ROOT), h);
            }
        }
        return false;
    }

    private static boolean dnsMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(host);
    }
}
