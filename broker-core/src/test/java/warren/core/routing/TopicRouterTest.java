package warren.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicRouterTest {

    private static Binding binding(String key) {
        return new Binding("t", "q-" + key, false, key, Map.of());
    }

    private static List<Binding> route(Router r, String key) {
        List<Binding> out = new ArrayList<>();
        r.route(key, Map.of(), out);
        return out;
    }

    @ParameterizedTest(name = "binding ''{0}'' vs routing key ''{1}'' -> {2}")
    @CsvSource(delimiter = '|', emptyValue = "", textBlock = """
            a.b.c     | a.b.c     | true
            a.b.c     | a.b       | false
            a.b       | a.b.c     | false
            a.*.c     | a.b.c     | true
            a.*.c     | a.c       | false
            a.*.c     | a.b.b.c   | false
            *         | a         | true
            *         | ''        | false
            *         | a.b       | false
            #         | ''        | true
            #         | a         | true
            #         | a.b.c     | true
            a.#       | a         | true
            a.#       | a.b       | true
            a.#       | a.b.c.d   | true
            a.#       | b.a       | false
            #.c       | c         | true
            #.c       | a.b.c     | true
            #.c       | a.c.d     | false
            a.#.c     | a.c       | true
            a.#.c     | a.b.c     | true
            a.#.c     | a.x.y.z.c | true
            a.#.c     | a.b       | false
            a.#.c     | b.a.c     | false
            a..b      | a..b      | true
            a.*.b     | a..b      | true
            a.b       | a..b      | false
            #.#       | ''        | true
            #.#       | a         | true
            #.#       | a.b.c     | true
            *.#       | ''        | false
            *.#       | a         | true
            #.*       | a.b       | true
            *.*       | a.b       | true
            *.*       | a         | false
            ''        | ''        | true
            ''        | a         | false
            """)
    void topicMatchingTable(String bindingKey, String routingKey, boolean expected) {
        Router r = ExchangeType.TOPIC.newRouter();
        Binding b = binding(bindingKey);
        r.add(b);
        assertEquals(expected ? List.of(b) : List.of(), route(r, routingKey));
    }

    @Test
    void aBindingMatchingSeveralWaysIsReportedOnce() {
        Router r = ExchangeType.TOPIC.newRouter();
        Binding b = binding("#.#");
        r.add(b);
        assertEquals(List.of(b), route(r, "a.b.c"));
    }

    @Test
    void manyHashesAgainstALongKeyDoNotExplode() {
        Router r = ExchangeType.TOPIC.newRouter();
        Binding b = binding(String.join(".", Collections.nCopies(12, "#")) + ".z");
        r.add(b);
        String key = String.join(".", Collections.nCopies(60, "a"));
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertEquals(List.of(), route(r, key));
            assertEquals(List.of(b), route(r, key + ".z"));
        });
    }

    @Test
    void unbindRemovesOnlyThatBinding() {
        Router r = ExchangeType.TOPIC.newRouter();
        Binding one = new Binding("t", "q1", false, "a.*", Map.of());
        Binding two = new Binding("t", "q2", false, "a.*", Map.of());
        r.add(one);
        r.add(two);
        r.remove(one);
        assertEquals(List.of(two), route(r, "a.b"));
        r.remove(two);
        assertTrue(route(r, "a.b").isEmpty());
    }

    @Test
    void removingAnUnknownKeyIsHarmless() {
        Router r = ExchangeType.TOPIC.newRouter();
        Binding b = binding("a.b");
        r.add(b);
        r.remove(binding("x.y.z"));
        assertEquals(List.of(b), route(r, "a.b"));
    }
}
