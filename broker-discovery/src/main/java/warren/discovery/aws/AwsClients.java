package warren.discovery.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.document.Document;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileSupplier;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;
import software.amazon.awssdk.profiles.ProfileProperty;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import warren.discovery.http.ProxySettings;

/**
 * The SDK clients of one {@link AwsDiscovery}, built on its first discovery (never in
 * {@code create}, which must not touch the network): EC2 and Auto Scaling over the JDK's
 * {@link HttpURLConnection} with {@code cluster_formation.proxy.*}, and an IMDSv2-only metadata
 * client that never goes through a proxy.
 *
 * <p>Endpoints are the SDK's own resolution, which already honours {@code AWS_ENDPOINT_URL_EC2} /
 * {@code aws.endpointUrlEc2}, {@code AWS_ENDPOINT_URL_AUTO_SCALING} /
 * {@code aws.endpointUrlAutoScaling}, {@code AWS_ENDPOINT_URL} / {@code aws.endpointUrl} and the
 * profile's {@code endpoint_url}; the metadata client honours {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}
 * / {@code aws.ec2MetadataServiceEndpoint}. {@code AWS_EC2_METADATA_DISABLED} is honoured by the
 * SDK's credential provider, but not by {@link Ec2MetadataClient}, so {@link #metadataDisabled()}
 * reads it here.
 */
final class AwsClients {

    private static final Logger LOG = LoggerFactory.getLogger(AwsClients.class);

    /** RabbitMQ's region when none is configured and instance metadata does not tell. */
    static final String DEFAULT_REGION = "us-east-1";

    /**
     * @param connect TCP connect timeout of every API request
     * @param read socket read timeout of every API request
     * @param apiCall the whole call, the SDK's own retries included
     * @param metadata connect and read timeout of an instance metadata request
     */
    record Timeouts(Duration connect, Duration read, Duration apiCall, Duration metadata) {
        static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofSeconds(2));
    }

    final Region region;
    final Ec2Client ec2;
    final AutoScalingClient autoScaling;
    private final SdkHttpClient apiHttp;
    private final SdkHttpClient metadataHttp;
    private Ec2MetadataClient metadata;

    private AwsClients(Region region, Ec2Client ec2, AutoScalingClient autoScaling, SdkHttpClient apiHttp,
            SdkHttpClient metadataHttp, Ec2MetadataClient metadata) {
        this.region = region;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.apiHttp = apiHttp;
        this.metadataHttp = metadataHttp;
        this.metadata = metadata;
    }

    /** Builds the clients; may ask instance metadata for the region when none is configured. */
    static AwsClients build(AwsSettings settings, Timeouts timeouts) {
        // link-local: never through a proxy
        SdkHttpClient metadataHttp = http(uri -> Proxy.NO_PROXY, timeouts.metadata(), timeouts.metadata());
        Ec2MetadataClient metadata = null;
        Region region;
        Optional<String> configured = settings.region();
        if (configured.isPresent()) {
            region = Region.of(configured.get());
        } else {
            Optional<Region> fromChain = regionFromSdkChain();
            if (fromChain.isPresent()) {
                region = fromChain.get();
            } else {
                metadata = metadataClient(metadataHttp);
                region = regionFromMetadata(metadata);
            }
        }
        Optional<ProxySettings> proxy = settings.proxy();
        // without cluster_formation.proxy.* keys, the JVM's own proxy settings (null: default selector)
        SdkHttpClient apiHttp = http(uri -> proxy.map(p -> p.select(uri).get(0)).orElse(null),
                timeouts.connect(), timeouts.read());
        AwsCredentialsProvider credentials = credentials(settings);
        ClientOverrideConfiguration override = ClientOverrideConfiguration.builder()
                .apiCallTimeout(timeouts.apiCall())
                .addExecutionInterceptor(new RequestLog())
                .build();
        Ec2Client ec2 = Ec2Client.builder().httpClient(apiHttp).region(region).credentialsProvider(credentials)
                .overrideConfiguration(override).build();
        AutoScalingClient autoScaling = AutoScalingClient.builder().httpClient(apiHttp).region(region)
                .credentialsProvider(credentials).overrideConfiguration(override).build();
        LOG.debug("Peer discovery (aws): region {}, credentials {}", region,
                settings.accessKeyId().isPresent() ? "from " + AwsSettings.ACCESS_KEY_ID_KEY
                        : "from the AWS SDK's default chain");
        return new AwsClients(region, ec2, autoScaling, apiHttp, metadataHttp, metadata);
    }

    private static SdkHttpClient http(Function<URI, Proxy> proxy, Duration connect, Duration read) {
        return UrlConnectionHttpClient.create(uri -> {
            try {
                Proxy p = proxy.apply(uri);
                HttpURLConnection c = (HttpURLConnection) (p == null ? uri.toURL().openConnection()
                        : uri.toURL().openConnection(p));
                c.setConnectTimeout((int) connect.toMillis());
                c.setReadTimeout((int) read.toMillis());
                return c;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * The IMDSv2 client ({@code PUT /latest/api/token}, then GETs with the token); it has no IMDSv1
     * fallback.
     */
    synchronized Ec2MetadataClient metadata() {
        if (metadata == null) {
            metadata = metadataClient(metadataHttp);
        }
        return metadata;
    }

    /** {@code AWS_EC2_METADATA_DISABLED} / {@code aws.disableEc2Metadata}. */
    static boolean metadataDisabled() {
        return SdkSystemSetting.AWS_EC2_METADATA_DISABLED.getBooleanValueOrThrow();
    }

    void close() {
        ec2.close();
        autoScaling.close();
        if (metadata != null) {
            metadata.close();
        }
        apiHttp.close();
        metadataHttp.close();
    }

    private static Ec2MetadataClient metadataClient(SdkHttpClient http) {
        return Ec2MetadataClient.builder().httpClient(http).retryPolicy(p -> p.numRetries(1)).build();
    }

    /**
     * {@code aws.region} / {@code AWS_REGION}, the profile's {@code region}, then
     * {@code AWS_DEFAULT_REGION} (which the CLI and RabbitMQ read, the Java SDK does not). The SDK's
     * own chain would end with instance metadata, which may fall back to IMDSv1: Warren asks
     * metadata itself.
     */
    private static Optional<Region> regionFromSdkChain() {
        try {
            return Optional.of(new SystemSettingsRegionProvider().getRegion());
        } catch (SdkClientException notSet) {
            // next
        }
        try {
            return Optional.of(new AwsProfileRegionProvider().getRegion());
        } catch (SdkClientException | IllegalStateException notSet) {
            // next
        }
        String legacy = System.getenv("AWS_DEFAULT_REGION");
        return legacy == null || legacy.isBlank() ? Optional.empty() : Optional.of(Region.of(legacy.trim()));
    }

    private static Region regionFromMetadata(Ec2MetadataClient metadata) {
        if (metadataDisabled()) {
            LOG.info("Peer discovery (aws): no region configured and instance metadata is disabled; using {}",
                    DEFAULT_REGION);
            return Region.of(DEFAULT_REGION);
        }
        try {
            Document identity = metadata.get("/latest/dynamic/instance-identity/document").asDocument();
            Document region = identity.isMap() ? identity.asMap().get("region") : null;
            if (region != null && region.isString() && !region.asString().isBlank()) {
                LOG.info("Peer discovery (aws): region {} from instance metadata", region.asString());
                return Region.of(region.asString());
            }
            LOG.warn("Peer discovery (aws): the instance identity document has no region; using {}",
                    DEFAULT_REGION);
        } catch (SdkClientException | IllegalStateException e) {
            LOG.warn("Peer discovery (aws): no region configured and instance metadata did not answer ({});"
                    + " using {}", e.getMessage(), DEFAULT_REGION);
        }
        return Region.of(DEFAULT_REGION);
    }

    private static AwsCredentialsProvider credentials(AwsSettings settings) {
        if (settings.accessKeyId().isPresent()) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKeyId().get(), settings.secretKey().orElseThrow()));
        }
        // The SDK's chain, with its instance-profile step held to IMDSv2: a profile property that
        // comes before the operator's own files turns off the SDK's IMDSv1 fallback.
        String profile = ProfileFileSystemSetting.AWS_PROFILE.getStringValueOrThrow();
        ProfileFile noV1 = ProfileFile.builder()
                .content("[profile " + profile + "]\n" + ProfileProperty.EC2_METADATA_V1_DISABLED + " = true\n")
                .type(ProfileFile.Type.CONFIGURATION)
                .build();
        return DefaultCredentialsProvider.builder()
                .profileFile(ProfileFileSupplier.aggregate(ProfileFileSupplier.fixedProfileFile(noV1),
                        ProfileFileSupplier.defaultSupplier()))
                .profileName(profile)
                .build();
    }

    /** Every AWS API request and its status at DEBUG, as {@code BackendHttp} logs the HTTP backends'. */
    private static final class RequestLog implements ExecutionInterceptor {

        private static final ExecutionAttribute<Long> START = new ExecutionAttribute<>("warren.aws.start");

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            attributes.putAttribute(START, System.nanoTime());
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            if (LOG.isDebugEnabled()) {
                Long start = attributes.getAttribute(START);
                LOG.debug("aws: {} {} {} -> {} ({} ms)", context.httpRequest().method(),
                        context.httpRequest().getUri(), context.request().getClass().getSimpleName(),
                        context.httpResponse().statusCode(),
                        start == null ? -1 : (System.nanoTime() - start) / 1_000_000);
            }
        }
    }
}
