package warren.core.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.core.metadata.HybridClock;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.Version;
import warren.core.metadata.VersionedRecord;

/**
 * The merge rules on two real brokers (no network): each changes its own definitions, then one's
 * snapshot is merged into the other. Newer wins, a newer tombstone deletes, an older record loses,
 * a binding of an earlier queue of the same name is not resurrected, and what the receiver has that
 * the sender lacks is reported.
 */
class DefinitionMergeRulesTest {
    @TempDir
    Path dir;
    private Broker here;
    private Broker there;

    @AfterEach
    void close() {
        for (Broker b : new Broker[] {here, there}) {
            if (b != null) {
                b.close();
            }
        }
    }

    private void brokers() {
        here = new Broker(BrokerSettings.defaults("here@test", dir.resolve("here")));
        there = new Broker(BrokerSettings.defaults("there@test", dir.resolve("there")));
    }

    private static void change(Broker b, MetadataCommand c) throws Exception {
        CompletableFuture<Object> f = b.submit(c);
        f.get();
    }

    private static MetadataCommand queue(String name, String home) {
        return new MetadataCommand.DeclareQueue("/", name, true, false, Map.of(), home);
    }

    private static void nextMillisecond() {
        long now = System.currentTimeMillis();
        while (System.currentTimeMillis() <= now) {
            Thread.onSpinWait();
        }
    }

    private List<VersionedRecord> mergeThereIntoHere() {
        return here.applier().merge(there.definitionsSnapshot(), "there@test");
    }

    @Test
    void newerRecordsAndTombstonesWinOlderOnesLose() throws Exception {
        brokers();
        change(here, new MetadataCommand.DeclareExchange("/", "x", "direct", true, false, false, Map.of()));
        change(here, queue("kept", "here@test"));
        change(here, queue("deleted-there", "here@test"));
        // there learns what here has (as a joiner would), then both go their own ways
        assertTrue(there.applier().merge(here.definitionsSnapshot(), "here@test").isEmpty());
        assertNotNull(there.vhost("/").queue("deleted-there"));
        change(there, new MetadataCommand.DeleteQueue("/", "deleted-there"));
        change(there, queue("new-there", "there@test"));
        change(here, queue("new-here", "here@test"));

        List<VersionedRecord> lacking = mergeThereIntoHere();

        assertNull(here.vhost("/").queue("deleted-there"), "their newer tombstone deletes");
        assertNotNull(here.vhost("/").queue("new-there"));
        assertEquals("there@test", here.vhost("/").queue("new-there").remoteHome());
        assertNotNull(here.vhost("/").queue("kept"));
        assertNotNull(here.vhost("/").queue("new-here"), "what only this side made stays");
        assertEquals(List.of("new-here"), lacking.stream().filter(r -> r.command() instanceof
                MetadataCommand.DeclareQueue).map(r -> ((MetadataCommand.DeclareQueue) r.command()).name()).toList(),
                "reported as what the other side lacks");
    }

    @Test
    void anOlderRecordDoesNotReplaceANewerOne() throws Exception {
        brokers();
        change(there, new MetadataCommand.DeclareQueue("/", "q", true, false, Map.of("x-max-length", 1), "there@test"));
        nextMillisecond(); // two independent clocks: here's change must be later on the wall clock
        change(here, new MetadataCommand.DeclareQueue("/", "q", true, false, Map.of("x-max-length", 2), "here@test"));
        mergeThereIntoHere();
        assertEquals(2, here.vhost("/").queue("q").arguments().raw().get("x-max-length"), "here's is newer");
        assertTrue(here.vhost("/").queue("q").isLocal());
        there.applier().merge(here.definitionsSnapshot(), "here@test");
        assertEquals(2, there.vhost("/").queue("q").arguments().raw().get("x-max-length"), "and wins there too");
        assertEquals("here@test", there.vhost("/").queue("q").remoteHome());
    }

    @Test
    void aBindingOfAnEarlierQueueOfTheSameNameIsNotResurrected() throws Exception {
        brokers();
        change(there, new MetadataCommand.DeclareExchange("/", "x", "direct", true, false, false, Map.of()));
        change(there, queue("q", "there@test"));
        change(there, new MetadataCommand.Bind("/", "x", "q", false, "old", Map.of()));
        List<VersionedRecord> old = there.definitionsSnapshot();
        // later, here gets the exchange, and a new queue q without the old binding
        nextMillisecond();
        change(here, new MetadataCommand.DeclareExchange("/", "x", "direct", true, false, false, Map.of()));
        change(here, queue("q", "here@test"));
        here.applier().merge(old, "there@test");
        assertTrue(here.vhost("/").bindings().isEmpty(), "the old binding belonged to an earlier q: "
                + here.vhost("/").bindings());
    }

    @Test
    void hybridClockReadingsIncreaseAndPassObservedOnes() {
        long[] wall = {1_000};
        HybridClock clock = new HybridClock(() -> wall[0]);
        long a = clock.now();
        long b = clock.now();
        assertTrue(b > a, "strictly increasing at a standing wall clock");
        long remote = (5_000L << 16) + 3;
        clock.observe(remote);
        assertTrue(clock.now() > remote, "later than what it observed, though its wall clock is behind");
        wall[0] = 10_000;
        assertEquals(10_000, HybridClock.physical(clock.now()));
        assertTrue(new Version(b, "a").isNewerThan(new Version(a, "z")));
        assertTrue(new Version(a, "b").isNewerThan(new Version(a, "a")), "ties broken by origin");
    }
}
