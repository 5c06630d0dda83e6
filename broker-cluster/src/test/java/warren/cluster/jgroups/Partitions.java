package warren.cluster.jgroups;

import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.ProtocolStack;

/** Test support for other packages: cuts a running channel off the network (and heals it). */
public final class Partitions {
    private Partitions() {
    }

    /** Inserts a DISCARD above the transport of {@code channel}; {@code discardAll(true)} isolates it. */
    public static DISCARD insertDiscard(ClusterChannel channel) throws Exception {
        DISCARD discard = new DISCARD();
        channel.jchannel().getProtocolStack().insertProtocol(discard, ProtocolStack.Position.ABOVE, TCP.class);
        return discard;
    }
}
