package warren.core.broker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.metadata.ClusterMembershipHook;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.Version;
import warren.core.metadata.VersionedRecord;
import warren.core.store.DefinitionRecord;

/**
 * Merges another node's definitions into this node's, record by record (last writer wins by
 * {@link Version}): a newer tombstone deletes the record here, a newer record replaces or creates
 * it, an older one is ignored. Tombstones go first (children before parents), then records
 * (parents before children), so a child whose parent was deleted fails to apply and is dropped.
 * A child older than its parent's current version belonged to an earlier incarnation of the
 * parent (deleted and declared again meanwhile) and is dropped too.
 *
 * <p>Every record this node replaces or deletes is logged with both versions.
 */
final class DefinitionMerge {
    private static final Logger LOG = LoggerFactory.getLogger(DefinitionMerge.class);

    private final Broker broker;
    private final BrokerApplier applier;
    private final String from;
    private final DefinitionVersions versions;
    private int replaced;
    private int created;
    private int deleted;

    DefinitionMerge(Broker broker, BrokerApplier applier, String from) {
        this.broker = broker;
        this.applier = applier;
        this.from = from;
        this.versions = broker.versions();
    }

    List<VersionedRecord> merge(List<VersionedRecord> incoming) {
        Map<String, VersionedRecord> theirs = new HashMap<>();
        List<VersionedRecord> tombstones = new ArrayList<>();
        List<VersionedRecord> puts = new ArrayList<>();
        ClusterMembershipHook hook = broker.membershipHook();
        for (VersionedRecord r : incoming) {
            if (r.kind() == 0) {
                if (hook != null) {
                    hook.apply(r.command());
                }
                continue;
            }
            theirs.put(DefinitionVersions.key(r.kind(), r.key()), r);
            (r.isTombstone() ? tombstones : puts).add(r);
        }
        if (hook != null && !hook.belongsToReachedCluster()) {
            LOG.warn("not merging the definitions of {}: its membership does not list this node (see the "
                    + "inconsistent_cluster error that follows)", from);
            return List.of();
        }
        tombstones.sort(Comparator.comparingInt(VersionedRecord::kind).reversed());
        puts.sort(Comparator.comparingInt(VersionedRecord::kind));

        Map<String, VersionedRecord> mine = applier.liveRecords();
        for (VersionedRecord t : tombstones) {
            mergeTombstone(t, mine);
        }
        mine = applier.liveRecords();
        for (VersionedRecord p : puts) {
            mergeRecord(p, mine);
        }
        if (replaced + created + deleted > 0) {
            LOG.info("merged the definitions of {}: {} records created, {} replaced, {} deleted here", from, created,
                    replaced, deleted);
        }
        return lacking(theirs);
    }

    private void mergeTombstone(VersionedRecord t, Map<String, VersionedRecord> mine) {
        String k = DefinitionVersions.key(t.kind(), t.key());
        VersionedRecord m = mine.get(k);
        Version local = m != null ? m.version() : versions.liveOrTombstone(k);
        if (!t.version().isNewerThan(local)) {
            return;
        }
        if (m != null) {
            LOG.info("merge with {}: {} {} deleted (their tombstone {} is newer than this node's {})", from,
                    kindName(t.kind()), display(t.key()), t.version(), m.version());
            try {
                applier.applyAt(RecordKeys.deletion(m.command()), t.version());
                deleted++;
            } catch (RuntimeException e) {
                LOG.warn("merge with {}: deleting {} {} failed: {}", from, kindName(t.kind()), display(t.key()),
                        e.getMessage());
            }
        }
        broker.persistVersion(k, t.version(), true);
    }

    private void mergeRecord(VersionedRecord p, Map<String, VersionedRecord> mine) {
        String k = DefinitionVersions.key(p.kind(), p.key());
        VersionedRecord m = mine.get(k);
        if (m != null) {
            if (!p.version().isNewerThan(m.version())) {
                return;
            }
            if (p.command().equals(m.command())) {
                if (isDurable(p.command())) {
                    broker.persistVersion(k, p.version(), false);
                }
                return;
            }
            LOG.warn("merge with {}: conflict on {} {}: their {} ({}) replaces this node's {} ({})", from,
                    kindName(p.kind()), display(p.key()), p.version(), p.command(), m.version(), m.command());
            try {
                if (p.kind() == DefinitionRecord.Kind.EXCHANGE.code() || p.kind() == DefinitionRecord.Kind.QUEUE.code()) {
                    applier.applyAt(RecordKeys.deletion(m.command()), p.version());
                }
                applier.applyAt(p.command(), p.version());
                replaced++;
            } catch (RuntimeException e) {
                LOG.warn("merge with {}: replacing {} {} failed: {}", from, kindName(p.kind()), display(p.key()),
                        e.getMessage());
            }
            return;
        }
        Version tombstone = versions.liveOrTombstone(k);
        if (!Version.ZERO.equals(tombstone) && !p.version().isNewerThan(tombstone)) {
            return; // deleted here after their version was written
        }
        if (!Version.ZERO.equals(p.version())) {
            for (String parent : RecordKeys.parents(p.command())) {
                Version pv = versions.liveVersion(parent);
                if (pv.isNewerThan(p.version())) {
                    LOG.info("merge with {}: {} {} ({}) dropped: it belongs to an earlier {} of the same name "
                            + "(now {})", from, kindName(p.kind()), display(p.key()), p.version(),
                            kindName(DefinitionVersions.kindOf(parent)), pv);
                    return;
                }
            }
        }
        try {
            if (Version.ZERO.equals(p.version())) {
                applier.applyAt(p.command(), null);
            } else {
                applier.applyAt(p.command(), p.version());
            }
            created++;
        } catch (RuntimeException e) {
            LOG.info("merge with {}: {} {} not created here: {}", from, kindName(p.kind()), display(p.key()),
                    e.getMessage());
        }
    }

    /** This node's records (and tombstones) that the other side's complete state lacks or has older. */
    private List<VersionedRecord> lacking(Map<String, VersionedRecord> theirs) {
        List<VersionedRecord> out = new ArrayList<>();
        for (Map.Entry<String, VersionedRecord> e : applier.liveRecords().entrySet()) {
            VersionedRecord t = theirs.get(e.getKey());
            Version mine = e.getValue().version();
            if (t == null ? !Version.ZERO.equals(mine) : mine.isNewerThan(t.version())) {
                out.add(e.getValue());
            }
        }
        versions.tombstones().forEach((k, v) -> {
            VersionedRecord t = theirs.get(k);
            if (t == null || v.isNewerThan(t.version())) {
                out.add(new VersionedRecord(DefinitionVersions.kindOf(k), DefinitionVersions.recordKeyOf(k), v, null));
            }
        });
        return out;
    }

    private boolean isDurable(MetadataCommand c) {
        if (c instanceof MetadataCommand.DeclareExchange d) {
            return d.durable();
        } else if (c instanceof MetadataCommand.DeclareQueue d) {
            return d.durable();
        } else if (c instanceof MetadataCommand.Bind d) {
            VirtualHost v = broker.vhost(d.vhost());
            if (v == null || v.exchange(d.source()) == null || !v.exchange(d.source()).durable()) {
                return false;
            }
            return d.toExchange() ? v.exchange(d.destination()) != null && v.exchange(d.destination()).durable()
                    : v.queue(d.destination()) != null && v.queue(d.destination()).durable();
        }
        return true;
    }

    private static String kindName(int kind) {
        return DefinitionRecord.Kind.of(kind).name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String display(String key) {
        return "'" + key.replace('\0', '/') + "'";
    }
}
