package warren.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DirectFanoutRouterTest {

    private static Set<Binding> route(Router r, String key) {
        List<Binding> out = new ArrayList<>();
        r.route(key, Map.of(), out);
        Set<Binding> set = new HashSet<>(out);
        assertEquals(out.size(), set.size(), "no duplicates");
        return set;
    }

    @Test
    void directMatchesOnlyTheExactKey() {
        Router r = ExchangeType.DIRECT.newRouter();
        Binding a = new Binding("d", "q1", false, "k", Map.of());
        Binding b = new Binding("d", "q2", false, "k", Map.of());
        Binding c = new Binding("d", "q3", false, "other", Map.of());
        r.add(a);
        r.add(b);
        r.add(c);
        assertEquals(Set.of(a, b), route(r, "k"));
        assertEquals(Set.of(c), route(r, "other"));
        assertTrue(route(r, "K").isEmpty());
        assertTrue(route(r, "").isEmpty());
    }

    @Test
    void directUnbindRemoves() {
        Router r = ExchangeType.DIRECT.newRouter();
        Binding a = new Binding("d", "q1", false, "k", Map.of());
        r.add(a);
        r.remove(a);
        assertTrue(route(r, "k").isEmpty());
    }

    @Test
    void fanoutMatchesEveryBindingWhateverTheKey() {
        Router r = ExchangeType.FANOUT.newRouter();
        Binding a = new Binding("f", "q1", false, "x", Map.of());
        Binding b = new Binding("f", "q2", false, "", Map.of());
        r.add(a);
        r.add(b);
        assertEquals(Set.of(a, b), route(r, "anything"));
        r.remove(a);
        assertEquals(Set.of(b), route(r, ""));
    }

    @Test
    void exchangeBindIsIdempotentAndUnbindReportsAbsence() {
        Exchange e = new Exchange("/", "x", ExchangeType.DIRECT, false, false, false, Map.of());
        Binding a = new Binding("x", "q", false, "k", Map.of());
        assertTrue(e.bind(a));
        assertEquals(false, e.bind(new Binding("x", "q", false, "k", Map.of())));
        assertEquals(1, e.bindings().size());
        assertTrue(e.unbind(a));
        assertEquals(false, e.unbind(a));
        assertEquals(false, e.hasBindings());
    }

    @Test
    void exchangeTypeByWireName() {
        assertEquals(ExchangeType.TOPIC, ExchangeType.byName("topic").orElseThrow());
        assertTrue(ExchangeType.byName("x-consistent-hash").isEmpty());
    }
}
