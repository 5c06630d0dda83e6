package warren.discovery;

import java.time.Instant;
import java.util.Objects;

/**
 * What a discovered candidate reported when this node asked it before joining: it is running as a
 * member of a formed cluster of {@code clusterSize} nodes, and its node started at
 * {@code startedAt}. Only candidates that answered get one; a candidate that is down, or is itself
 * still blank and waiting to join, has none.
 *
 * @param clusterSize members of the candidate's cluster, counting itself; at least 1
 * @param startedAt when the candidate's node started, by its own clock
 */
public record CandidateInfo(int clusterSize, Instant startedAt) {

    public CandidateInfo {
        Objects.requireNonNull(startedAt, "startedAt");
        if (clusterSize < 1) {
            throw new IllegalArgumentException("cluster size must be at least 1, got " + clusterSize);
        }
    }
}
