package warren.core.metadata;

/**
 * One definition record as exchanged when nodes that have been apart merge their states: the
 * record's identity ({@code kind} and {@code key}, as stored), its version, and either the command
 * that (re)creates it or, for a tombstone (a deleted record), null.
 *
 * <p>Cluster membership entries travel as records of kind 0 with version {@link Version#ZERO}.
 */
public record VersionedRecord(int kind, String key, Version version, MetadataCommand command) {

    public boolean isTombstone() {
        return command == null;
    }
}
