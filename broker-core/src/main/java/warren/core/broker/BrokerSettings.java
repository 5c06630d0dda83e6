package warren.core.broker;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Everything the core needs from configuration, as plain values (no config-library types here).
 * broker-server maps the operator file onto this record.
 *
 * @param nodeName                   e.g. {@code warren@host1}
 * @param dataDir                    the node's data directory (stores live below it)
 * @param defaultVhost               created at first start ({@code default_vhost})
 * @param defaultUser                created at first start ({@code default_user})
 * @param defaultPass                its password ({@code default_pass})
 * @param defaultUserTags            its tags ({@code default_user_tags.*}), e.g. administrator
 * @param loopbackUsers              users that may connect only from a loopback address ({@code loopback_users.NAME = true})
 * @param heartbeatSeconds           heartbeat the server proposes in connection.tune ({@code heartbeat}); 0 disables
 * @param frameMax                   largest frame the server accepts, proposed in connection.tune ({@code frame_max})
 * @param channelMax                 most channels per connection ({@code channel_max}); 0 means 65535
 * @param maxMessageSize             largest message body accepted ({@code max_message_size}); larger gets 406
 * @param memoryHighWatermarkRelative fraction of the JVM's max heap above which publishers are blocked
 * @param authMechanisms             SASL mechanisms offered, in order ({@code auth_mechanisms.N})
 * @param diskFreeLimitBytes         publishers are blocked when the data directory's disk has less free space
 *                                   ({@code disk_free_limit.absolute} / {@code .relative}); 0 disables
 */
public record BrokerSettings(
        String nodeName,
        Path dataDir,
        String defaultVhost,
        String defaultUser,
        String defaultPass,
        Set<String> defaultUserTags,
        Set<String> loopbackUsers,
        int heartbeatSeconds,
        int frameMax,
        int channelMax,
        long maxMessageSize,
        double memoryHighWatermarkRelative,
        List<String> authMechanisms,
        long diskFreeLimitBytes) {

    public static final String VERSION = "0.1.0";

    /** RabbitMQ's defaults: guest/guest on "/", heartbeat 60 s, frame_max 128 KiB, channel_max 2047. */
    public static BrokerSettings defaults(String nodeName, Path dataDir) {
        return new BrokerSettings(nodeName, dataDir, "/", "guest", "guest", Set.of("administrator"),
                Set.of("guest"), 60, 131072, 2047, 128L * 1024 * 1024, 0.4, List.of("PLAIN", "AMQPLAIN"),
                50_000_000L);
    }

    public BrokerSettings withHeartbeat(int seconds) {
        return new BrokerSettings(nodeName, dataDir, defaultVhost, defaultUser, defaultPass, defaultUserTags,
                loopbackUsers, seconds, frameMax, channelMax, maxMessageSize, memoryHighWatermarkRelative,
                authMechanisms, diskFreeLimitBytes);
    }

    public BrokerSettings withLoopbackUsers(Set<String> users) {
        return new BrokerSettings(nodeName, dataDir, defaultVhost, defaultUser, defaultPass, defaultUserTags,
                users, heartbeatSeconds, frameMax, channelMax, maxMessageSize, memoryHighWatermarkRelative,
                authMechanisms, diskFreeLimitBytes);
    }

    public BrokerSettings withMemoryHighWatermark(double relative) {
        return new BrokerSettings(nodeName, dataDir, defaultVhost, defaultUser, defaultPass, defaultUserTags,
                loopbackUsers, heartbeatSeconds, frameMax, channelMax, maxMessageSize, relative, authMechanisms,
                diskFreeLimitBytes);
    }
}
