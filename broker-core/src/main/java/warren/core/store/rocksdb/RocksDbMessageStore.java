package warren.core.store.rocksdb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.store.DefinitionRecord;
import warren.core.store.MessageStore;
import warren.core.store.SharedRefs;
import warren.core.store.StoreException;
import warren.core.store.StoredEntry;
import warren.core.store.StoredMessage;

/**
 * The node's RocksDB: column families {@code definitions}, {@code messages} (id → body),
 * {@code queue_index} (queue + seq → id, expiry, flags) and {@code default} (meta: log position).
 *
 * <p>All writes go through one writer thread that drains its queue into a single WriteBatch and
 * writes it with sync=true: every publisher waiting for a confirm at that moment shares one fsync
 * (group commit, the shape of ZooKeeper's SyncRequestProcessor). Reads that must see earlier
 * writes (paging a queue back in) run on the same thread, after the pending batch.
 *
 * <p>A batch holding DELIVERED marks ({@link #updateIndex}) is written without sync first, the
 * marks' futures completed (the deliveries waiting for them go out: once in the WAL they survive a
 * kill of the process), and only then is the WAL synced for everything else in the batch.
 */
public final class RocksDbMessageStore implements MessageStore {
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbMessageStore.class);
    private static final int MAX_BATCH_OPS = 4096;
    private static final long MAX_BATCH_BYTES = 8L << 20;
    private static final byte[] LOG_POSITION = "log_position".getBytes(StandardCharsets.UTF_8);

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final DBOptions dbOptions;
    private final org.rocksdb.Logger rocksLog;
    private final ColumnFamilyOptions cfOptions;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle definitions;
    private final ColumnFamilyHandle messages;
    private final ColumnFamilyHandle index;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions plainWrite = new WriteOptions();
    private final AtomicLong nextMessageId;
    private final SharedRefs sharedRefs = new SharedRefs();
    private final LinkedBlockingQueue<Op> ops = new LinkedBlockingQueue<>();
    /** Bytes of bodies submitted and not yet written; publishers pause above {@link #BEHIND_AT}. */
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean behind;
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> caughtUpWaiters =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final long BEHIND_AT = 32L << 20;
    private static final long CAUGHT_UP_AT = 8L << 20;
    private final Thread writer;
    private long logPosition;
    private volatile boolean closed;
    private volatile StoreException failure;

    /** One unit of work for the writer thread: either batched mutations or a task run alone. */
    private interface Op {
        /** Adds mutations to the batch; returns approximate bytes. */
        default long apply(WriteBatch batch) throws RocksDBException {
            return 0;
        }

        /** Non-null for ops that need the database itself (reads, range scans): run after a flush. */
        default Runnable task() {
            return null;
        }

        default CompletableFuture<Void> done() {
            return null;
        }

        /** Whether {@link #done()} waits for the sync (true) or only for the write to the WAL. */
        default boolean synced() {
            return true;
        }

        /** Bytes this op adds to the writer's backlog until written (bodies only). */
        default long weight() {
            return 0;
        }
    }

    public RocksDbMessageStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage()
                    + "; check permissions or set WARREN_DATA_DIR", e);
        }
        this.cfOptions = new ColumnFamilyOptions().optimizeLevelStyleCompaction();
        // RocksDB's own info log goes to our log, not to <dir>/LOG: with the default file logger a failed
        // open (corrupt MANIFEST, ...) still renames LOG to LOG.old.* and writes a new LOG, i.e. it
        // modifies the directory we promise to leave untouched.
        this.rocksLog = new org.rocksdb.Logger(org.rocksdb.InfoLogLevel.WARN_LEVEL) {
            @Override
            protected void log(org.rocksdb.InfoLogLevel level, String message) {
                if (level.getValue() >= org.rocksdb.InfoLogLevel.ERROR_LEVEL.getValue()) {
                    LOG.error("rocksdb {}: {}", dir, message);
                } else {
                    LOG.warn("rocksdb {}: {}", dir, message);
                }
            }
        };
        this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setLogger(rocksLog);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("definitions".getBytes(StandardCharsets.UTF_8), cfOptions),
                new ColumnFamilyDescriptor("messages".getBytes(StandardCharsets.UTF_8), cfOptions),
                new ColumnFamilyDescriptor("queue_index".getBytes(StandardCharsets.UTF_8), cfOptions));
        try {
            checkExistingFamilies(dir);
            this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        } catch (StoreException e) {
            cfOptions.close();
            dbOptions.close();
            rocksLog.close();
            throw e;
        } catch (RocksDBException e) {
            cfOptions.close();
            dbOptions.close();
            rocksLog.close();
            throw new StoreException("cannot open the message store in " + dir + ": " + e.getMessage()
                    + ". The directory is not modified; if it is corrupt, move it aside (or restore a backup)"
                    + " and start again — Warren never wipes it by itself", e);
        }
        this.meta = handles.get(0);
        this.definitions = handles.get(1);
        this.messages = handles.get(2);
        this.index = handles.get(3);
        this.nextMessageId = new AtomicLong(lastMessageId() + 1);
        this.logPosition = readLogPosition();
        this.writer = new Thread(this::writeLoop, "warren-store-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /** Refuses a directory that holds a RocksDB with families we do not know: it is not ours. */
    private static void checkExistingFamilies(Path dir) throws RocksDBException {
        if (!Files.exists(dir.resolve("CURRENT"))) {
            return;
        }
        try (Options o = new Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(o, dir.toString())) {
                String n = new String(name, StandardCharsets.UTF_8);
                if (!List.of("default", "definitions", "messages", "queue_index").contains(n)) {
                    throw new StoreException("the data directory " + dir + " holds a database with an unknown column"
                            + " family '" + n + "': it was not written by this Warren version; point WARREN_DATA_DIR"
                            + " elsewhere");
                }
            }
        }
    }

    private long lastMessageId() {
        try (RocksIterator it = db.newIterator(messages)) {
            it.seekToLast();
            return it.isValid() ? Keys.messageIdOf(it.key()) : 0;
        }
    }

    private long readLogPosition() {
        try {
            byte[] v = db.get(meta, LOG_POSITION);
            return v == null ? 0 : ByteBuffer.wrap(v).getLong();
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the log position in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isDurable() {
        return true;
    }

    @Override
    public long nextMessageId() {
        return nextMessageId.getAndIncrement();
    }

    public Path directory() {
        return dir;
    }

    // ------------------------------------------------------------------ writes

    private CompletableFuture<Void> submit(Op op) {
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (closed) {
            return CompletableFuture.failedFuture(new StoreException("message store in " + dir + " is closed"));
        }
        long w = op.weight();
        if (w > 0 && backlog.addAndGet(w) > BEHIND_AT && !behind) {
            behind = true;
        }
        ops.add(op);
        return op.done();
    }

    @Override
    public boolean isBehind() {
        return behind;
    }

    @Override
    public void whenCaughtUp(Runnable resume) {
        caughtUpWaiters.add(resume);
        if (!behind) {
            releaseCaughtUpWaiters();
        }
    }

    /** The writer wrote {@code bytes} of bodies: below the low mark, paused publishers resume. */
    private void written(long bytes) {
        if (bytes > 0 && backlog.addAndGet(-bytes) < CAUGHT_UP_AT && behind) {
            behind = false;
            releaseCaughtUpWaiters();
        }
    }

    private void releaseCaughtUpWaiters() {
        Runnable r;
        while ((r = caughtUpWaiters.poll()) != null) {
            r.run();
        }
    }

    private static final class Mutation implements Op {
        interface Body {
            long apply(WriteBatch b) throws RocksDBException;
        }

        final Body body;
        final CompletableFuture<Void> done;
        final boolean synced;
        long weight;

        Mutation(Body body, boolean wantDone) {
            this(body, wantDone, true);
        }

        Mutation(Body body, boolean wantDone, boolean synced) {
            this.body = body;
            this.done = wantDone ? new CompletableFuture<>() : null;
            this.synced = synced;
        }

        @Override
        public long apply(WriteBatch batch) throws RocksDBException {
            return body.apply(batch);
        }

        @Override
        public CompletableFuture<Void> done() {
            return done;
        }

        @Override
        public boolean synced() {
            return synced;
        }

        @Override
        public long weight() {
            return weight;
        }
    }

    @Override
    public void writeBody(long messageId, StoredMessage message) {
        byte[] value = Keys.messageValue(message);
        Mutation m = new Mutation(b -> {
            b.put(messages, Keys.messageKey(messageId), value);
            return value.length;
        }, false);
        m.weight = value.length;
        submit(m);
    }

    @Override
    public CompletableFuture<Void> writeIndex(String queueKey, StoredEntry entry) {
        byte[] key = Keys.indexKey(Keys.queuePrefix(queueKey), entry.seq());
        byte[] value = Keys.indexValue(entry);
        return submit(new Mutation(b -> {
            b.put(index, key, value);
            return 64;
        }, true));
    }

    @Override
    public CompletableFuture<Void> updateIndex(String queueKey, List<StoredEntry> entries) {
        byte[] prefix = Keys.queuePrefix(queueKey);
        byte[][] keys = new byte[entries.size()][];
        byte[][] values = new byte[entries.size()][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = Keys.indexKey(prefix, entries.get(i).seq());
            values[i] = Keys.indexValue(entries.get(i));
        }
        return submit(new Mutation(b -> {
            for (int i = 0; i < keys.length; i++) {
                b.put(index, keys[i], values[i]);
            }
            return 64L * keys.length;
        }, true, false));
    }

    @Override
    public void removeIndex(String queueKey, long seq, long messageId, boolean deleteBody) {
        byte[] key = Keys.indexKey(Keys.queuePrefix(queueKey), seq);
        submit(new Mutation(b -> {
            b.delete(index, key);
            if (deleteBody) {
                b.delete(messages, Keys.messageKey(messageId));
            }
            return 64;
        }, false));
    }

    @Override
    public CompletableFuture<Void> barrier() {
        return submit(new Mutation(b -> 0, true));
    }

    @Override
    public CompletableFuture<Void> putDefinition(DefinitionRecord record) {
        byte[] key = Keys.definitionKey(record.kind().code(), record.key());
        return submit(new Mutation(b -> {
            b.put(definitions, key, record.payload());
            b.put(meta, LOG_POSITION, ByteBuffer.allocate(8).putLong(++logPosition).array());
            return record.payload().length;
        }, true));
    }

    @Override
    public CompletableFuture<Void> deleteDefinition(DefinitionRecord.Kind kind, String key) {
        byte[] k = Keys.definitionKey(kind.code(), key);
        return submit(new Mutation(b -> {
            b.delete(definitions, k);
            b.put(meta, LOG_POSITION, ByteBuffer.allocate(8).putLong(++logPosition).array());
            return 64;
        }, true));
    }

    // ------------------------------------------------------------------ tasks on the writer thread

    private <T> CompletableFuture<T> onWriter(java.util.function.Supplier<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<Void> submitted = submit(new Op() {
            @Override
            public Runnable task() {
                return () -> {
                    try {
                        result.complete(body.get());
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                };
            }
        });
        if (submitted != null && submitted.isCompletedExceptionally()) {
            submitted.whenComplete((v, e) -> result.completeExceptionally(e));
        }
        return result;
    }

    @Override
    public CompletableFuture<List<Loaded>> read(String queueKey, long fromSeq, int max) {
        return onWriter(() -> readNow(queueKey, fromSeq, max));
    }

    private List<Loaded> readNow(String queueKey, long fromSeq, int max) {
        byte[] prefix = Keys.queuePrefix(queueKey);
        List<Loaded> out = new ArrayList<>(Math.min(max, 1024));
        try (RocksIterator it = db.newIterator(index)) {
            for (it.seek(Keys.indexKey(prefix, fromSeq)); it.isValid() && out.size() < max; it.next()) {
                byte[] key = it.key();
                if (!Keys.hasPrefix(key, prefix)) {
                    break;
                }
                StoredEntry e = Keys.indexEntry(key, it.value());
                byte[] body = db.get(messages, Keys.messageKey(e.messageId()));
                if (body != null) {
                    out.add(new Loaded(e, Keys.message(body)));
                }
            }
        } catch (RocksDBException e) {
            throw new StoreException("cannot read queue index in " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public CompletableFuture<Void> removeRange(String queueKey, long fromSeq, long toSeq) {
        return onWriter(() -> {
            byte[] prefix = Keys.queuePrefix(queueKey);
            try (RocksIterator it = db.newIterator(index); WriteBatch batch = new WriteBatch()) {
                for (it.seek(Keys.indexKey(prefix, fromSeq)); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (!Keys.hasPrefix(key, prefix) || Keys.seqOf(key) >= toSeq) {
                        break;
                    }
                    StoredEntry e = Keys.indexEntry(key, it.value());
                    batch.delete(index, key);
                    if (!e.has(StoredEntry.SHARED) || sharedRefs.release(e.messageId())) {
                        batch.delete(messages, Keys.messageKey(e.messageId()));
                    }
                }
                db.write(syncWrite, batch);
            } catch (RocksDBException e) {
                throw fail("cannot remove queue records", e);
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ recovery (called at boot, before traffic)

    @Override
    public List<DefinitionRecord> loadDefinitions() {
        List<DefinitionRecord> out = new ArrayList<>();
        try (RocksIterator it = db.newIterator(definitions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                out.add(new DefinitionRecord(DefinitionRecord.Kind.of(k[0]),
                        new String(k, 1, k.length - 1, StandardCharsets.UTF_8), it.value()));
            }
        }
        return out;
    }

    @Override
    public SharedRefs sharedRefs() {
        return sharedRefs;
    }

    @Override
    public RecoveredQueue recover(String queueKey, int inMemory) {
        byte[] prefix = Keys.queuePrefix(queueKey);
        List<Loaded> head = new ArrayList<>();
        long total = 0;
        long nextUnloaded = -1;
        long lastSeq = -1;
        try (RocksIterator it = db.newIterator(index); WriteBatch drop = new WriteBatch()) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!Keys.hasPrefix(key, prefix)) {
                    break;
                }
                StoredEntry e = Keys.indexEntry(key, it.value());
                if (e.has(StoredEntry.TRANSIENT)) {
                    drop.delete(index, key);
                    drop.delete(messages, Keys.messageKey(e.messageId()));
                    continue;
                }
                if (e.has(StoredEntry.SHARED)) {
                    sharedRefs.increment(e.messageId());
                }
                lastSeq = e.seq();
                if (head.size() < inMemory && nextUnloaded < 0) {
                    byte[] body = db.get(messages, Keys.messageKey(e.messageId()));
                    if (body == null) {
                        // Index written, body not: the publish was never confirmed. Drop it.
                        drop.delete(index, key);
                        continue;
                    }
                    head.add(new Loaded(e, Keys.message(body)));
                } else if (nextUnloaded < 0) {
                    nextUnloaded = e.seq();
                }
                if (++total % 500_000 == 0) {
                    LOG.info("recovering queue '{}': {} messages so far", queueKey.replace('\0', '/'), total);
                }
            }
            db.write(syncWrite, drop);
        } catch (RocksDBException e) {
            throw new StoreException("cannot recover queue '" + queueKey.replace('\0', '/') + "' from " + dir + ": "
                    + e.getMessage(), e);
        }
        return new RecoveredQueue(head, total, nextUnloaded < 0 ? lastSeq + 1 : nextUnloaded, lastSeq);
    }

    @Override
    public void dropOtherQueues(Set<String> durableQueueKeys) {
        try (RocksIterator it = db.newIterator(index); WriteBatch drop = new WriteBatch()) {
            long dropped = 0;
            it.seekToFirst();
            while (it.isValid()) {
                byte[] key = it.key();
                String queueKey = Keys.queueKeyOf(key);
                if (durableQueueKeys.contains(queueKey)) {
                    // A surviving queue: jump past all its records rather than reading them.
                    it.seek(Keys.indexKey(Keys.queuePrefix(queueKey), Long.MAX_VALUE));
                    if (it.isValid() && Keys.hasPrefix(it.key(), Keys.queuePrefix(queueKey))) {
                        it.next();
                    }
                    continue;
                }
                StoredEntry e = Keys.indexEntry(key, it.value());
                drop.delete(index, key);
                if (!e.has(StoredEntry.SHARED)) {
                    drop.delete(messages, Keys.messageKey(e.messageId()));
                }
                dropped++;
                it.next();
            }
            db.write(syncWrite, drop);
            if (dropped > 0) {
                LOG.info("dropped {} stored messages of queues that did not survive the restart", dropped);
            }
        } catch (RocksDBException e) {
            throw new StoreException("cannot clean the queue index in " + dir + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ the writer

    private void writeLoop() {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        List<CompletableFuture<Void>> written = new ArrayList<>();
        long weights = 0;
        while (true) {
            Op op;
            try {
                op = ops.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (op == null) {
                if (closed) {
                    return;
                }
                continue;
            }
            try (WriteBatch batch = new WriteBatch()) {
                long bytes = 0;
                int count = 0;
                Runnable taskAfter = null;
                while (op != null) {
                    Runnable task = op.task();
                    if (task != null) {
                        taskAfter = task;
                        break;
                    }
                    weights += op.weight();
                    bytes += op.apply(batch);
                    if (op.done() != null) {
                        (op.synced() ? waiting : written).add(op.done());
                    }
                    if (++count >= MAX_BATCH_OPS || bytes >= MAX_BATCH_BYTES) {
                        break;
                    }
                    op = ops.poll();
                }
                if (!written.isEmpty()) {
                    // Deliveries wait for these marks: release them once the batch is in the WAL
                    // (survives a kill), then sync as for every other batch.
                    db.write(plainWrite, batch);
                    for (CompletableFuture<Void> f : written) {
                        f.complete(null);
                    }
                    written.clear();
                    db.syncWal();
                } else if (batch.count() > 0 || !waiting.isEmpty()) {
                    db.write(syncWrite, batch);
                }
                for (CompletableFuture<Void> f : waiting) {
                    f.complete(null);
                }
                waiting.clear();
                written(weights);
                weights = 0;
                if (taskAfter != null) {
                    taskAfter.run();
                }
            } catch (RocksDBException | RuntimeException e) {
                StoreException f = fail("write to the message store failed", e);
                for (CompletableFuture<Void> w : waiting) {
                    w.completeExceptionally(f);
                }
                waiting.clear();
                for (CompletableFuture<Void> w : written) {
                    w.completeExceptionally(f);
                }
                written.clear();
                written(weights); // failed: nothing more will be written, publishers must not wait for it
                weights = 0;
            }
        }
    }

    private StoreException fail(String what, Exception e) {
        StoreException f = new StoreException(what + " in " + dir + ": " + e.getMessage()
                + "; persistent publishes are refused until the node is restarted", e);
        if (failure == null) {
            failure = f;
            LOG.error("{}", f.getMessage(), e);
        }
        return f;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        barrier().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        closed = true;
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (org.rocksdb.FlushOptions flush = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(flush, handles); // a clean stop leaves no WAL to replay at the next start
        } catch (RocksDBException e) {
            LOG.warn("flush at close failed in {}: {}", dir, e.getMessage());
        }
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        syncWrite.close();
        plainWrite.close();
        dbOptions.close();
        cfOptions.close();
        rocksLog.close();
    }
}
