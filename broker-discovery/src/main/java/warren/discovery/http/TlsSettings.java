package warren.discovery.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;

/**
 * A backend's {@code <prefix>.ssl_options.*} keys (RabbitMQ's names) as the {@link SSLContext} and
 * {@link SSLParameters} of its HTTP client.
 *
 * <ul>
 *   <li>{@code cacertfile}: PEM file of the CAs to trust (unset: the JDK's default trust store);</li>
 *   <li>{@code certfile} + {@code keyfile} (+ {@code password}): the client certificate (PEM, chain
 *       allowed) and its PKCS#8 PEM key, encrypted with {@code password} or not;</li>
 *   <li>{@code verify = verify_peer | verify_none}: Warren's default is {@code verify_peer}
 *       (RabbitMQ's Erlang HTTP client does not verify by default);</li>
 *   <li>{@code depth}: longest certificate chain accepted below the trusted CA;</li>
 *   <li>{@code versions.NAME} ({@code tlsv1.2}, {@code tlsv1.3}) and {@code ciphers.NAME}
 *       (IANA/JDK suite names);</li>
 *   <li>{@code server_name_indication} (Warren only): the name sent as SNI and checked against the
 *       server's certificate instead of the URL's host, for servers reached by IP;</li>
 *   <li>{@code reuse_sessions}, {@code secure_renegotiate}, {@code log_alert}: accepted for
 *       compatibility; the JDK always reuses sessions, never renegotiates insecurely, and logs
 *       alerts through {@code javax.net.debug}.</li>
 * </ul>
 * Keys that name Erlang's inline DER terms or server-side options are rejected at boot by the
 * server with {@link #unsupportedKeys(String)}'s reasons.
 */
public final class TlsSettings {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+?)-----END \\1-----");

    private final SSLContext context;
    private final SSLParameters parameters;

    private TlsSettings(SSLContext context, SSLParameters parameters) {
        this.context = context;
        this.parameters = parameters;
    }

    public SSLContext context() {
        return context;
    }

    public SSLParameters parameters() {
        return parameters;
    }

    /** The keys this class reads under {@code prefix} (for a factory's configKeys). */
    public static List<String> configKeys(String prefix) {
        String p = prefix + ".ssl_options.";
        return List.of(p + "cacertfile", p + "certfile", p + "keyfile", p + "password", p + "verify", p + "depth",
                p + "versions.NAME", p + "ciphers.NAME", p + "server_name_indication", p + "reuse_sessions",
                p + "secure_renegotiate", p + "log_alert");
    }

    /** RabbitMQ's ssl_options keys Warren rejects under {@code prefix}, with why. */
    public static Map<String, String> unsupportedKeys(String prefix) {
        String p = prefix + ".ssl_options.";
        String der = "inline DER terms are an Erlang form; put the PEM in a file and use ";
        Map<String, String> out = new LinkedHashMap<>();
        out.put(p + "cert", der + p + "certfile");
        out.put(p + "cacerts.NAME", der + p + "cacertfile");
        out.put(p + "key.RSAPrivateKey", der + p + "keyfile");
        out.put(p + "key.DSAPrivateKey", der + p + "keyfile");
        out.put(p + "key.PrivateKeyInfo", der + p + "keyfile");
        out.put(p + "dh", "Diffie-Hellman parameters are a TLS server's setting; a discovery client has no use for them");
        out.put(p + "dhfile", "Diffie-Hellman parameters are a TLS server's setting; a discovery client has no use for them");
        out.put(p + "fail_if_no_peer_cert", "it is a TLS server's setting; as a client Warren always requires the "
                + "server's certificate when " + p + "verify = verify_peer");
        out.put(p + "psk_identity", "pre-shared-key TLS is not offered by the JDK's TLS client");
        out.put(p + "crl_check", "Warren's discovery client does not fetch certificate revocation lists; "
                + "keep the CA file current instead");
        return out;
    }

    /**
     * The TLS settings under {@code prefix} ({@code cluster_formation.etcd}); empty when no
     * {@code ssl_options} key is set, meaning the JDK defaults (default trust store, host name
     * verified).
     *
     * @throws DiscoveryException naming the key when a file is unreadable or malformed, or a value
     *     is not one of its choices
     */
    public static Optional<TlsSettings> from(DiscoverySettings settings, String prefix) {
        String p = prefix + ".ssl_options.";
        if (settings.keys().stream().noneMatch(k -> k.startsWith(p))) {
            return Optional.empty();
        }
        try {
            return Optional.of(build(settings, p));
        } catch (GeneralSecurityException e) {
            throw new DiscoveryException("TLS settings under '" + p + "*' are not usable: " + e.getMessage(), e);
        }
    }

    private static TlsSettings build(DiscoverySettings settings, String p) throws GeneralSecurityException {
        boolean verify = "verify_peer".equals(settings.getChoice(p + "verify", "verify_peer", "verify_peer",
                "verify_none"));
        int depth = settings.getInt(p + "depth", -1, -1);
        Optional<String> sni = settings.get(p + "server_name_indication");
        for (String flag : List.of("reuse_sessions", "secure_renegotiate", "log_alert")) {
            settings.getBool(p + flag, true);
        }
        TrustManager[] trust;
        if (!verify) {
            trust = new TrustManager[] {new TrustAll()};
        } else {
            KeyStore anchors = null;
            Optional<String> caFile = settings.get(p + "cacertfile");
            if (caFile.isPresent()) {
                anchors = KeyStore.getInstance(KeyStore.getDefaultType());
                try {
                    anchors.load(null, null);
                } catch (IOException e) {
                    throw new GeneralSecurityException(e);
                }
                int i = 0;
                for (X509Certificate ca : certificates(p + "cacertfile", caFile.get())) {
                    anchors.setCertificateEntry("ca-" + i++, ca);
                }
            }
            X509TrustManager base = trustManager(anchors, depth);
            trust = new TrustManager[] {sni.isPresent() ? new NamedHostTrust(base, sni.get()) : base};
        }
        KeyManagerFactory keys = null;
        Optional<String> certFile = settings.get(p + "certfile");
        Optional<String> keyFile = settings.get(p + "keyfile");
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new DiscoveryException("config key '" + p + (certFile.isPresent() ? "keyfile" : "certfile")
                    + "' is not set; a client certificate needs both " + p + "certfile and " + p + "keyfile");
        }
        if (certFile.isPresent()) {
            char[] password = settings.get(p + "password").orElse("").toCharArray();
            List<X509Certificate> chain = certificates(p + "certfile", certFile.get());
            PrivateKey key = privateKey(p + "keyfile", keyFile.get(), password, chain.get(0));
            KeyStore store = KeyStore.getInstance("PKCS12");
            try {
                store.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            store.setKeyEntry("client", key, password, chain.toArray(new X509Certificate[0]));
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trust, null);
        SSLParameters parameters = context.getDefaultSSLParameters();
        Map<String, String> versions = settings.named(p + "versions");
        if (!versions.isEmpty()) {
            parameters.setProtocols(versions(p + "versions", versions.values(), context));
        }
        Map<String, String> ciphers = settings.named(p + "ciphers");
        if (!ciphers.isEmpty()) {
            Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
            for (String cipher : ciphers.values()) {
                if (!supported.contains(cipher)) {
                    throw new DiscoveryException("config key '" + p + "ciphers': '" + cipher
                            + "' is not a cipher suite this JDK supports (use IANA names such as "
                            + "TLS_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
                }
            }
            parameters.setCipherSuites(ciphers.values().toArray(new String[0]));
        }
        sni.ifPresent(name -> parameters.setServerNames(List.of(new SNIHostName(name))));
        return new TlsSettings(context, parameters);
    }

    private static String[] versions(String key, Collection<String> configured, SSLContext context) {
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getProtocols());
        List<String> out = new ArrayList<>();
        for (String v : configured) {
            String name = switch (v.toLowerCase(Locale.ROOT).replace("'", "")) {
                case "tlsv1.3" -> "TLSv1.3";
                case "tlsv1.2" -> "TLSv1.2";
                case "tlsv1.1" -> "TLSv1.1";
                case "tlsv1" -> "TLSv1";
                default -> throw new DiscoveryException("config key '" + key + "': expected tlsv1.2 or tlsv1.3, got '"
                        + v + "'");
            };
            if (!supported.contains(name)) {
                throw new DiscoveryException("config key '" + key + "': " + v + " is not supported by this JDK");
            }
            out.add(name);
        }
        return out.toArray(new String[0]);
    }

    private static X509TrustManager trustManager(KeyStore anchors, int depth) throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        if (anchors == null && depth < 0) {
            factory.init((KeyStore) null);
        } else {
            KeyStore store = anchors;
            if (store == null) {
                TrustManagerFactory defaults = TrustManagerFactory.getInstance("PKIX");
                defaults.init((KeyStore) null);
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                try {
                    store.load(null, null);
                } catch (IOException e) {
                    throw new GeneralSecurityException(e);
                }
                int i = 0;
                for (X509Certificate ca : ((X509TrustManager) defaults.getTrustManagers()[0]).getAcceptedIssuers()) {
                    store.setCertificateEntry("default-" + i++, ca);
                }
            }
            PKIXBuilderParameters pkix = new PKIXBuilderParameters(store, new X509CertSelector());
            pkix.setRevocationEnabled(false);
            if (depth >= 0) {
                pkix.setMaxPathLength(depth);
            }
            factory.init(new CertPathTrustManagerParameters(pkix));
        }
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager in this JDK");
    }

    static List<X509Certificate> certificates(String key, String file) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Map.Entry<String, byte[]> block : pemBlocks(key, file)) {
                if (block.getKey().equals("CERTIFICATE")) {
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.getValue())));
                }
            }
        } catch (CertificateException e) {
            throw new DiscoveryException("config key '" + key + "': " + file + " holds a malformed certificate: "
                    + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new DiscoveryException("config key '" + key + "': " + file + " holds no PEM CERTIFICATE block");
        }
        return out;
    }

    private static PrivateKey privateKey(String key, String file, char[] password, X509Certificate cert) {
        for (Map.Entry<String, byte[]> block : pemBlocks(key, file)) {
            try {
                PKCS8EncodedKeySpec spec;
                switch (block.getKey()) {
                    case "PRIVATE KEY" -> spec = new PKCS8EncodedKeySpec(block.getValue());
                    case "ENCRYPTED PRIVATE KEY" -> {
                        if (password.length == 0) {
                            throw new DiscoveryException("config key '" + key + "': " + file
                                    + " is encrypted; set the password in the ssl_options.password key");
                        }
                        EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(block.getValue());
                        SecretKeyFactory skf = SecretKeyFactory.getInstance(info.getAlgName());
                        Cipher cipher = Cipher.getInstance(info.getAlgName());
                        cipher.init(Cipher.DECRYPT_MODE, skf.generateSecret(new PBEKeySpec(password)),
                                info.getAlgParameters());
                        spec = info.getKeySpec(cipher);
                    }
                    case "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY" -> throw new DiscoveryException(
                            "config key '" + key + "': " + file + " is a " + block.getKey() + " (PKCS#1/SEC1) block; "
                                    + "Warren reads PKCS#8 keys: convert it with 'openssl pkcs8 -topk8 -nocrypt -in "
                                    + file + " -out key.pk8.pem'");
                    default -> {
                        continue;
                    }
                }
                return KeyFactory.getInstance(cert.getPublicKey().getAlgorithm()).generatePrivate(spec);
            } catch (IOException | GeneralSecurityException e) {
                throw new DiscoveryException("config key '" + key + "': the key in " + file + " cannot be read"
                        + (password.length > 0 ? " with the configured password" : "") + ": " + e, e);
            }
        }
        throw new DiscoveryException("config key '" + key + "': " + file + " holds no PEM PRIVATE KEY block");
    }

    private static List<Map.Entry<String, byte[]>> pemBlocks(String key, String file) {
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new DiscoveryException("config key '" + key + "': cannot read " + file + ": " + e, e);
        }
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            try {
                out.add(Map.entry(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new DiscoveryException("config key '" + key + "': " + file + " has a " + m.group(1)
                        + " block that is not base64", e);
            }
        }
        return out;
    }

    /** verify_none: any chain, any name, as RabbitMQ's {@code verify = verify_none}. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
        @Override public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /**
     * Checks the chain as usual, but the server's name against {@code server_name_indication}
     * instead of the URL's host (the JDK's own check is skipped by using the plain
     * {@link X509TrustManager} methods, which do no endpoint identification).
     */
    private static final class NamedHostTrust extends X509ExtendedTrustManager {
        private final X509TrustManager delegate;
        private final String name;

        NamedHostTrust(X509TrustManager delegate, String name) {
            this.delegate = delegate;
            this.name = name.toLowerCase(Locale.ROOT);
        }

        private void check(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
            if (!HostNames.matches(chain[0], name)) {
                throw new CertificateException("the server's certificate is not for " + name
                        + " (server_name_indication)");
            }
        }

        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
            check(c, a);
        }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e)
                throws CertificateException {
            check(c, a);
        }
        @Override public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException {
            check(c, a);
        }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
            delegate.checkClientTrusted(c, a);
        }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e)
                throws CertificateException {
            delegate.checkClientTrusted(c, a);
        }
        @Override public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException {
            delegate.checkClientTrusted(c, a);
        }
        @Override public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
