package warren.core.metadata;

import java.util.List;

/** Applies definition changes to one node's state (the broker). Called in the agreed total order. */
public interface MetadataApplier {

    /**
     * Applies one command and returns its result (the exchange or queue declared, or null);
     * throws the AMQP or management error the command earns (e.g. 406 for an inequivalent
     * redeclare) — the same on every node, since the state before it is the same. The records
     * the command writes or deletes get {@code version} (or a later one, if they already carry
     * a version at least as new).
     */
    Object apply(MetadataCommand command, Version version);

    /**
     * The definitions with their versions, tombstones included: what a joining node receives
     * (state transfer) before the changes that follow, and what nodes exchange to merge.
     */
    List<VersionedRecord> snapshot();

    /**
     * Merges records from another node record by record: where the other's version is newer it
     * wins (a newer tombstone deletes); every conflict resolved is logged with both versions.
     *
     * @return this node's records that are newer than, or missing from, {@code records} (what the
     *         other side lacks), when {@code records} is that side's complete state; else ignore it
     */
    List<VersionedRecord> merge(List<VersionedRecord> records, String from);

    /** The highest clock reading among the versions this node holds (a restarted node's clock starts past it). */
    long latestVersionClock();

    /** Drops every tombstone: called in the agreed order once every member has seen them. */
    int purgeTombstones();
}
