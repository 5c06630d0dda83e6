package warren.core.metadata;

/** Applies definition changes to one node's state (the broker). Called in the agreed total order. */
public interface MetadataApplier {

    /**
     * Applies one command and returns its result (the exchange or queue declared, or null);
     * throws the AMQP or management error the command earns (e.g. 406 for an inequivalent
     * redeclare) — the same on every node, since the state before it is the same.
     */
    Object apply(MetadataCommand command);

    /**
     * The definitions as commands that rebuild them on an empty node: what a joining node
     * receives (state transfer) before the changes that follow.
     */
    java.util.List<MetadataCommand> snapshot();
}
