package warren.discovery.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A loopback double of the three AWS services the {@code aws} backend talks to, on one
 * {@link HttpServer} at {@code 127.0.0.1:<free port>}:
 *
 * <ul>
 *   <li>the EC2 Query API ({@code POST /}, form-encoded {@code Action=DescribeInstances&Version=2016-11-15},
 *       {@code Filter.N.Name} / {@code Filter.N.Value.M}, {@code InstanceId.N}, {@code NextToken}; XML in
 *       EC2's {@code http://ec2.amazonaws.com/doc/2016-11-15/} shape, errors as
 *       {@code <Response><Errors><Error>});</li>
 *   <li>the Auto Scaling Query API ({@code DescribeAutoScalingInstances}, {@code DescribeAutoScalingGroups},
 *       {@code Version=2011-01-01}, {@code .member.N} lists, {@code NextToken}; errors as
 *       {@code <ErrorResponse>});</li>
 *   <li>IMDSv2 only: {@code PUT /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds}, then
 *       GETs with {@code X-aws-ec2-metadata-token}; a GET without a valid token answers 401, as on an
 *       instance that requires IMDSv2.</li>
 * </ul>
 *
 * <p>Every API request must carry a SigV4 signature, which the double recomputes from what it received
 * with the secret of the access key id (its own implementation, independent of the SDK's signer). As the
 * real services: an unknown key id answers EC2 401 {@code AuthFailure} / Auto Scaling 403
 * {@code InvalidClientTokenId}; a wrong signature EC2 401 {@code AuthFailure} / Auto Scaling 403
 * {@code SignatureDoesNotMatch}; a credential scope for another region the same, with the region in the
 * message; an unknown filter 400 {@code InvalidParameterValue}; an unknown instance id 400
 * {@code InvalidInstanceID.NotFound}. Faults ({@link #failNext}) and slow answers ({@link #delay}) are
 * injected per action. Point the SDK at it with {@code AWS_ENDPOINT_URL_EC2},
 * {@code AWS_ENDPOINT_URL_AUTO_SCALING} and {@code AWS_EC2_METADATA_SERVICE_ENDPOINT} = {@link #endpoint()}
 * (or their system properties, {@link #endpointProperties()}).
 */
public final class AwsDouble implements AutoCloseable {

    public static final String ACCESS_KEY_ID = "AKIAWARRENTEST000001";
    public static final String SECRET_KEY = "warren/double/SECRETKEYEXAMPLE0000000001";
    public static final String EC2_VERSION = "2016-11-15";
    public static final String AUTOSCALING_VERSION = "2011-01-01";

    private static final String EC2_NS = "http://ec2.amazonaws.com/doc/" + EC2_VERSION + "/";
    private static final String ASG_NS = "http://autoscaling.amazonaws.com/doc/" + AUTOSCALING_VERSION + "/";
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request,\\s*"
                    + "SignedHeaders=([^,]+),\\s*Signature=([0-9a-f]{64})");
    private static final Set<String> EC2_ACTIONS = Set.of("DescribeInstances");
    private static final Set<String> ASG_ACTIONS = Set.of("DescribeAutoScalingInstances", "DescribeAutoScalingGroups");

    /** An API request as received. */
    public record ApiRequest(String service, String action, Map<String, List<String>> params, String accessKeyId,
            String scopeRegion, boolean signatureValid, int status) {

        /** The first value of {@code name}, or null. */
        public String param(String name) {
            List<String> v = params.get(name);
            return v == null ? null : v.get(0);
        }
    }

    /** An instance metadata request as received. */
    public record MetadataRequest(String method, String path, boolean withToken, int status) {
    }

    /** A described EC2 instance. */
    public record Ec2Instance(String id, String privateDnsName, String privateIp, String state,
            Map<String, String> tags) {
    }

    private record Fault(int remaining, int status, String code, String message) {
    }

    private final String region;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, String> secrets = new HashMap<>();
    private final Map<String, Ec2Instance> instances = new LinkedHashMap<>();
    private final Map<String, List<String>> groups = new LinkedHashMap<>();
    private final Map<String, Fault> faults = new HashMap<>();
    private final Map<String, Duration> delays = new HashMap<>();
    private final Set<String> tokens = new LinkedHashSet<>();
    private final List<ApiRequest> requests = new CopyOnWriteArrayList<>();
    private final List<MetadataRequest> metadataRequests = new CopyOnWriteArrayList<>();
    private int pageSize = 1000;
    private String selfInstanceId;
    private String[] instanceRole;
    private boolean refuseTokens;

    private AwsDouble(String region) throws IOException {
        this.region = region;
        secrets.put(ACCESS_KEY_ID, SECRET_KEY);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "aws-double");
            t.setDaemon(true);
            return t;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a double of {@code region} that knows {@link #ACCESS_KEY_ID} / {@link #SECRET_KEY}. */
    public static AwsDouble start(String region) throws IOException {
        return new AwsDouble(region);
    }

    /** {@code http://127.0.0.1:<port>}: the EC2, Auto Scaling and instance metadata endpoint. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String region() {
        return region;
    }

    /**
     * The system properties that point the SDK here ({@code aws.endpointUrlEc2},
     * {@code aws.endpointUrlAutoScaling}, {@code aws.ec2MetadataServiceEndpoint}).
     */
    public Map<String, String> endpointProperties() {
        return Map.of("aws.endpointUrlEc2", endpoint().toString(), "aws.endpointUrlAutoScaling",
                endpoint().toString(), "aws.ec2MetadataServiceEndpoint", endpoint().toString());
    }

    /** The environment variables that point the SDK here, for a broker started as a process. */
    public Map<String, String> endpointEnvironment() {
        return Map.of("AWS_ENDPOINT_URL_EC2", endpoint().toString(), "AWS_ENDPOINT_URL_AUTO_SCALING",
                endpoint().toString(), "AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint().toString());
    }

    /** Another accepted access key. */
    public synchronized void addCredentials(String accessKeyId, String secretKey) {
        secrets.put(accessKeyId, secretKey);
    }

    /** A running instance. */
    public void addInstance(String id, String privateDnsName, String privateIp, Map<String, String> tags) {
        addInstance(new Ec2Instance(id, privateDnsName, privateIp, "running", Map.copyOf(tags)));
    }

    public synchronized void addInstance(Ec2Instance instance) {
        instances.put(instance.id(), instance);
    }

    /** An Auto Scaling group of existing instances. */
    public synchronized void addGroup(String name, String... instanceIds) {
        groups.put(name, List.of(instanceIds));
    }

    /** The instance id instance metadata reports. */
    public synchronized void selfInstanceId(String id) {
        this.selfInstanceId = id;
    }

    /** An IAM role whose credentials instance metadata serves; the key becomes a valid one. */
    public synchronized void instanceRole(String role, String accessKeyId, String secretKey) {
        instanceRole = new String[] {role, accessKeyId, secretKey};
        secrets.put(accessKeyId, secretKey);
    }

    /** Token requests answer 403, as when the instance's metadata endpoint is turned off. */
    public synchronized void refuseTokens(boolean refuse) {
        this.refuseTokens = refuse;
    }

    /** Results per page when a request gives no MaxResults; a NextToken continues. */
    public synchronized void pageSize(int pageSize) {
        this.pageSize = pageSize;
    }

    /** The next {@code count} requests of {@code action} answer {@code status} with error {@code code}. */
    public synchronized void failNext(String action, int count, int status, String code) {
        faults.put(action, new Fault(count, status, code, "injected " + code + " (" + status + ")"));
    }

    /** Requests of {@code action} ("metadata" for instance metadata) answer after {@code delay}. */
    public synchronized void delay(String action, Duration delay) {
        delays.put(action, delay);
    }

    public List<ApiRequest> requests() {
        return List.copyOf(requests);
    }

    public List<ApiRequest> requests(String action) {
        return requests.stream().filter(r -> action.equals(r.action())).toList();
    }

    public List<MetadataRequest> metadataRequests() {
        return List.copyOf(metadataRequests);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.startsWith("/latest/")) {
                metadata(exchange, path);
            } else if ("POST".equals(exchange.getRequestMethod()) && "/".equals(path)) {
                api(exchange);
            } else {
                send(exchange, 404, "text/plain", "not found");
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private void metadata(HttpExchange exchange, String path) throws IOException {
        pause("metadata");
        String method = exchange.getRequestMethod();
        String token = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
        int status;
        String body;
        synchronized (this) {
            if ("/latest/api/token".equals(path)) {
                String ttl = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
                if (!"PUT".equals(method)) {
                    status = 405;
                    body = "";
                } else if (refuseTokens) {
                    status = 403;
                    body = "";
                } else if (ttl == null || !ttl.matches("\\d+") || Integer.parseInt(ttl) < 1
                        || Integer.parseInt(ttl) > 21600) {
                    status = 400;
                    body = "";
                } else {
                    status = 200;
                    body = "token-" + UUID.randomUUID();
                    tokens.add(body);
                }
            } else if (!"GET".equals(method)) {
                status = 405;
                body = "";
            } else if (token == null || !tokens.contains(token)) {
                status = 401; // IMDSv2 required
                body = "";
            } else {
                body = metadataValue(path);
                status = body == null ? 404 : 200;
            }
        }
        metadataRequests.add(new MetadataRequest(method, path, token != null, status));
        if ("/latest/api/token".equals(path) && status == 200) {
            exchange.getResponseHeaders().set("X-aws-ec2-metadata-token-ttl-seconds",
                    exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds"));
        }
        send(exchange, status, "text/plain", body == null ? "" : body);
    }

    private String metadataValue(String path) {
        final String roles = "/latest/meta-data/iam/security-credentials/";
        switch (path) {
            case "/latest/meta-data/instance-id":
                return selfInstanceId;
            case "/latest/meta-data/placement/region":
                return region;
            case "/latest/dynamic/instance-identity/document":
                return selfInstanceId == null ? null : "{\"accountId\":\"123456789012\",\"instanceId\":\""
                        + selfInstanceId + "\",\"region\":\"" + region + "\",\"availabilityZone\":\"" + region
                        + "a\",\"instanceType\":\"t3.micro\"}";
            case "/latest/meta-data/iam/security-credentials/":
                return instanceRole == null ? null : instanceRole[0];
            default:
                if (instanceRole != null && path.equals(roles + instanceRole[0])) {
                    return "{\"Code\":\"Success\",\"LastUpdated\":\"" + Instant.now() + "\",\"Type\":\"AWS-HMAC\","
                            + "\"AccessKeyId\":\"" + instanceRole[1] + "\",\"SecretAccessKey\":\"" + instanceRole[2]
                            + "\",\"Token\":\"session-token-of-" + instanceRole[0] + "\",\"Expiration\":\""
                            + Instant.now().plus(Duration.ofHours(6)) + "\"}";
                }
                return null;
        }
    }

    private void api(HttpExchange exchange) throws IOException {
        byte[] bodyBytes = exchange.getRequestBody().readAllBytes();
        Map<String, List<String>> params = form(new String(bodyBytes, StandardCharsets.UTF_8));
        String action = first(params, "Action");
        String service = ASG_ACTIONS.contains(action) ? "autoscaling" : "ec2";
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        Matcher auth = authorization == null ? null : AUTHORIZATION.matcher(authorization);
        String keyId = null;
        String scopeRegion = null;
        boolean valid = false;
        String[] error = null;
        if (auth == null || !auth.matches()) {
            error = new String[] {service.equals("ec2") ? "401" : "403", "MissingAuthenticationToken",
                "Request is missing Authentication Token"};
        } else {
            keyId = auth.group(1);
            scopeRegion = auth.group(3);
            String secret;
            synchronized (this) {
                secret = secrets.get(keyId);
            }
            if (secret == null) {
                error = service.equals("ec2")
                        ? new String[] {"401", "AuthFailure", "AWS was not able to validate the provided access"
                                + " credentials"}
                        : new String[] {"403", "InvalidClientTokenId", "The security token included in the request"
                                + " is invalid."};
            } else if (!region.equals(scopeRegion) || !service.equals(auth.group(4))) {
                error = new String[] {service.equals("ec2") ? "401" : "403",
                    service.equals("ec2") ? "AuthFailure" : "SignatureDoesNotMatch",
                    "Credential should be scoped to a valid region and service, not '" + scopeRegion + "/"
                            + auth.group(4) + "'."};
            } else {
                valid = signatureMatches(exchange, bodyBytes, auth, secret);
                if (!valid) {
                    error = service.equals("ec2")
                            ? new String[] {"401", "AuthFailure", "AWS was not able to validate the provided"
                                    + " access credentials"}
                            : new String[] {"403", "SignatureDoesNotMatch", "The request signature we calculated"
                                    + " does not match the signature you provided."};
                }
            }
        }
        String expectedVersion = service.equals("ec2") ? EC2_VERSION : AUTOSCALING_VERSION;
        if (error == null && !EC2_ACTIONS.contains(action) && !ASG_ACTIONS.contains(action)) {
            error = new String[] {"400", "InvalidAction", "The action " + action + " is not valid for this web service."};
        } else if (error == null && !expectedVersion.equals(first(params, "Version"))) {
            error = new String[] {"400", "InvalidParameterValue", "Version " + first(params, "Version")};
        }
        if (error == null) {
            synchronized (this) {
                Fault fault = faults.get(action);
                if (fault != null && fault.remaining() > 0) {
                    faults.put(action, new Fault(fault.remaining() - 1, fault.status(), fault.code(), fault.message()));
                    error = new String[] {String.valueOf(fault.status()), fault.code(), fault.message()};
                }
            }
        }
        pause(action);
        String body;
        int status;
        if (error == null) {
            try {
                synchronized (this) {
                    body = switch (action) {
                        case "DescribeInstances" -> describeInstances(params);
                        case "DescribeAutoScalingInstances" -> describeAutoScalingInstances(params);
                        default -> describeAutoScalingGroups(params);
                    };
                }
                status = 200;
            } catch (ClientError e) {
                status = 400;
                body = errorBody(service, e.code, e.getMessage());
            }
        } else {
            status = Integer.parseInt(error[0]);
            body = errorBody(service, error[1], error[2]);
        }
        requests.add(new ApiRequest(service, action, params, keyId, scopeRegion, valid, status));
        send(exchange, status, "text/xml;charset=UTF-8", body);
    }

    private static final class ClientError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String code;

        ClientError(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    private String describeInstances(Map<String, List<String>> params) {
        Map<String, List<String>> filters = new LinkedHashMap<>();
        for (int n = 1; params.containsKey("Filter." + n + ".Name"); n++) {
            String name = first(params, "Filter." + n + ".Name");
            List<String> values = new ArrayList<>();
            for (int m = 1; params.containsKey("Filter." + n + ".Value." + m); m++) {
                values.add(first(params, "Filter." + n + ".Value." + m));
            }
            if (!name.startsWith("tag:") && !name.equals("instance-state-name") && !name.equals("instance-id")) {
                throw new ClientError("InvalidParameterValue", "The filter '" + name + "' is invalid");
            }
            filters.put(name, values);
        }
        List<String> ids = numbered(params, "InstanceId.");
        if (!ids.isEmpty() && params.containsKey("MaxResults")) {
            throw new ClientError("InvalidParameterCombination",
                    "The parameter instancesSet cannot be used with the parameter maxResults");
        }
        for (String id : ids) {
            if (!instances.containsKey(id)) {
                throw new ClientError("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
            }
        }
        List<Ec2Instance> matching = new ArrayList<>();
        for (Ec2Instance i : instances.values()) {
            if ((ids.isEmpty() || ids.contains(i.id())) && matches(i, filters)) {
                matching.add(i);
            }
        }
        int[] page = page(params, matching.size());
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse"
                + " xmlns=\"" + EC2_NS + "\"><requestId>" + UUID.randomUUID() + "</requestId><reservationSet>");
        for (Ec2Instance i : matching.subList(page[0], page[1])) {
            xml.append("<item><reservationId>r-").append(esc(i.id())).append("</reservationId><ownerId>123456789012"
                    + "</ownerId><groupSet/><instancesSet><item><instanceId>").append(esc(i.id()))
                    .append("</instanceId><imageId>ami-0123456789abcdef0</imageId><instanceState><code>")
                    .append("running".equals(i.state()) ? 16 : 80).append("</code><name>").append(esc(i.state()))
                    .append("</name></instanceState><privateDnsName>")
                    .append(esc(i.privateDnsName() == null ? "" : i.privateDnsName())).append("</privateDnsName>");
            if (i.privateIp() != null) {
                xml.append("<privateIpAddress>").append(esc(i.privateIp())).append("</privateIpAddress>");
            }
            xml.append("<tagSet>");
            i.tags().forEach((k, v) -> xml.append("<item><key>").append(esc(k)).append("</key><value>")
                    .append(esc(v)).append("</value></item>"));
            xml.append("</tagSet></item></instancesSet></item>");
        }
        xml.append("</reservationSet>");
        if (page[1] < matching.size()) {
            xml.append("<nextToken>").append(token(page[1])).append("</nextToken>");
        }
        return xml.append("</DescribeInstancesResponse>").toString();
    }

    private static boolean matches(Ec2Instance i, Map<String, List<String>> filters) {
        for (Map.Entry<String, List<String>> f : filters.entrySet()) {
            String actual = f.getKey().equals("instance-state-name") ? i.state()
                    : f.getKey().equals("instance-id") ? i.id() : i.tags().get(f.getKey().substring(4));
            if (actual == null || !f.getValue().contains(actual)) {
                return false;
            }
        }
        return true;
    }

    private String describeAutoScalingInstances(Map<String, List<String>> params) {
        List<String> ids = numbered(params, "InstanceIds.member.");
        List<String[]> rows = new ArrayList<>();
        groups.forEach((group, members) -> members.stream().filter(id -> ids.isEmpty() || ids.contains(id))
                .forEach(id -> rows.add(new String[] {id, group})));
        int[] page = page(params, rows.size());
        StringBuilder xml = new StringBuilder("<DescribeAutoScalingInstancesResponse xmlns=\"" + ASG_NS + "\">"
                + "<DescribeAutoScalingInstancesResult><AutoScalingInstances>");
        for (String[] row : rows.subList(page[0], page[1])) {
            xml.append("<member><InstanceId>").append(esc(row[0])).append("</InstanceId><AutoScalingGroupName>")
                    .append(esc(row[1])).append("</AutoScalingGroupName><AvailabilityZone>").append(region)
                    .append("a</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>HEALTHY"
                            + "</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>");
        }
        xml.append("</AutoScalingInstances>");
        if (page[1] < rows.size()) {
            xml.append("<NextToken>").append(token(page[1])).append("</NextToken>");
        }
        return xml.append("</DescribeAutoScalingInstancesResult><ResponseMetadata><RequestId>")
                .append(UUID.randomUUID()).append("</RequestId></ResponseMetadata>"
                        + "</DescribeAutoScalingInstancesResponse>").toString();
    }

    private String describeAutoScalingGroups(Map<String, List<String>> params) {
        List<String> names = numbered(params, "AutoScalingGroupNames.member.");
        List<String> selected = groups.keySet().stream().filter(g -> names.isEmpty() || names.contains(g)).toList();
        int[] page = page(params, selected.size());
        StringBuilder xml = new StringBuilder("<DescribeAutoScalingGroupsResponse xmlns=\"" + ASG_NS + "\">"
                + "<DescribeAutoScalingGroupsResult><AutoScalingGroups>");
        for (String g : selected.subList(page[0], page[1])) {
            xml.append("<member><AutoScalingGroupName>").append(esc(g)).append("</AutoScalingGroupName><MinSize>0"
                    + "</MinSize><MaxSize>9</MaxSize><DesiredCapacity>").append(groups.get(g).size())
                    .append("</DesiredCapacity><Instances>");
            for (String id : groups.get(g)) {
                xml.append("<member><InstanceId>").append(esc(id)).append("</InstanceId><AvailabilityZone>")
                        .append(region).append("a</AvailabilityZone><LifecycleState>InService</LifecycleState>"
                                + "<HealthStatus>Healthy</HealthStatus></member>");
            }
            xml.append("</Instances></member>");
        }
        xml.append("</AutoScalingGroups>");
        if (page[1] < selected.size()) {
            xml.append("<NextToken>").append(token(page[1])).append("</NextToken>");
        }
        return xml.append("</DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>")
                .append(UUID.randomUUID()).append("</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>")
                .toString();
    }

    /** [from, to) of this page, from NextToken and MaxResults (or the double's page size). */
    private int[] page(Map<String, List<String>> params, int total) {
        int from = 0;
        String next = first(params, "NextToken");
        if (next != null) {
            if (!next.matches("page-\\d+")) {
                throw new ClientError("InvalidParameterValue", "Invalid NextToken '" + next + "'");
            }
            from = Math.min(total, Integer.parseInt(next.substring(5)));
        }
        String max = first(params, "MaxResults") != null ? first(params, "MaxResults") : first(params, "MaxRecords");
        int size = max != null ? Integer.parseInt(max) : pageSize;
        return new int[] {from, Math.min(total, from + size)};
    }

    private static String token(int index) {
        return "page-" + index;
    }

    /** Recomputes the SigV4 signature of what was received and compares it. */
    private static boolean signatureMatches(HttpExchange exchange, byte[] body, Matcher auth, String secret) {
        String[] signedHeaders = auth.group(5).split(";");
        List<String> sortedNames = new ArrayList<>(Arrays.asList(signedHeaders));
        sortedNames.sort(null);
        if (!sortedNames.equals(Arrays.asList(signedHeaders)) || !sortedNames.contains("host")
                || !sortedNames.contains("x-amz-date")) {
            return false;
        }
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signedHeaders) {
            List<String> values = exchange.getRequestHeaders().get(name);
            if (values == null) {
                return false;
            }
            List<String> trimmed = values.stream().map(v -> v.trim().replaceAll(" +", " ")).toList();
            canonicalHeaders.append(name).append(':').append(String.join(",", trimmed)).append('\n');
        }
        String amzDate = exchange.getRequestHeaders().getFirst("x-amz-date");
        if (amzDate == null || !amzDate.startsWith(auth.group(2))) {
            return false;
        }
        Instant signedAt = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                .parse(amzDate, Instant::from);
        if (Duration.between(signedAt, Instant.now()).abs().compareTo(Duration.ofMinutes(15)) > 0) {
            return false;
        }
        String rawQuery = exchange.getRequestURI().getRawQuery();
        String canonicalQuery = "";
        if (rawQuery != null && !rawQuery.isEmpty()) {
            List<String> pairs = new ArrayList<>(Arrays.asList(rawQuery.split("&")));
            pairs.sort(null);
            canonicalQuery = String.join("&", pairs);
        }
        String canonicalRequest = exchange.getRequestMethod() + "\n" + exchange.getRequestURI().getRawPath() + "\n"
                + canonicalQuery + "\n" + canonicalHeaders + "\n" + auth.group(5) + "\n" + hex(sha256(body));
        String scope = auth.group(2) + "/" + auth.group(3) + "/" + auth.group(4) + "/aws4_request";
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), auth.group(2));
        key = hmac(key, auth.group(3));
        key = hmac(key, auth.group(4));
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, stringToSign));
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                auth.group(6).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String errorBody(String service, String code, String message) {
        String requestId = UUID.randomUUID().toString();
        if (service.equals("ec2")) {
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + esc(code)
                    + "</Code><Message>" + esc(message) + "</Message></Error></Errors><RequestID>" + requestId
                    + "</RequestID></Response>";
        }
        return "<ErrorResponse xmlns=\"" + ASG_NS + "\"><Error><Type>" + (code.startsWith("Internal")
                || code.startsWith("ServiceUnavailable") ? "Receiver" : "Sender") + "</Type><Code>" + esc(code)
                + "</Code><Message>" + esc(message) + "</Message></Error><RequestId>" + requestId
                + "</RequestId></ErrorResponse>";
    }

    private void pause(String action) {
        Duration d;
        synchronized (this) {
            d = delays.get(action);
        }
        if (d != null) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Map<String, List<String>> form(String body) {
        Map<String, List<String>> params = new TreeMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return params;
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static List<String> numbered(Map<String, List<String>> params, String prefix) {
        List<String> out = new ArrayList<>();
        for (int n = 1; params.containsKey(prefix + n); n++) {
            out.add(first(params, prefix + n));
        }
        return out;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
