package warren.cluster.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;
import warren.core.metadata.MetadataCommand;

/** The membership commands cross the wire unchanged. */
class MembershipCodecTest {

    @Test
    void membershipCommandsRoundTrip() {
        for (MetadataCommand c : List.of(
                new MetadataCommand.PutClusterIdentity("warren@a", "0f8fad5b-d9cb-469f-a165-70867728950e"),
                new MetadataCommand.PutClusterMember("warren@b", "ram", "10.0.0.2:25672"),
                new MetadataCommand.ForgetClusterMember("warren@c"))) {
            byte[] bytes = CommandCodec.toBytes(b -> CommandCodec.write(b, c));
            assertEquals(c, CommandCodec.read(Unpooled.wrappedBuffer(bytes)));
        }
    }
}
