package warren.core.routing;

import java.util.BitSet;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * topic: dot-separated words; {@code *} matches exactly one word, {@code #} zero or more. A trie
 * of binding-key words; matching walks it once per routing key, branching at {@code #}.
 */
final class TopicRouter implements Router {
    private static final class Node {
        final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>();
        final Set<Binding> bindings = ConcurrentHashMap.newKeySet();
    }

    private final Node root = new Node();

    @Override
    public void add(Binding binding) {
        Node n = root;
        for (String word : split(binding.routingKey())) {
            n = n.children.computeIfAbsent(word, w -> new Node());
        }
        n.bindings.add(binding);
    }

    @Override
    public void remove(Binding binding) {
        Node n = root;
        for (String word : split(binding.routingKey())) {
            n = n.children.get(word);
            if (n == null) {
                return;
            }
        }
        n.bindings.remove(binding);
        // Empty nodes are left in place: cheap, and safe against concurrent matching.
    }

    @Override
    public void route(String routingKey, Map<String, Object> headers, Collection<Binding> out) {
        match(root, split(routingKey), 0, out, new IdentityHashMap<>());
    }

    /**
     * Visits each (node, word index) state at most once: without that, '#' branching revisits
     * states combinatorially ("#.#.#..." against a long key never finishes) and reports a
     * binding once per path.
     */
    private static void match(Node node, String[] words, int i, Collection<Binding> out, Map<Node, BitSet> seen) {
        BitSet done = seen.computeIfAbsent(node, n -> new BitSet());
        if (done.get(i)) {
            return;
        }
        done.set(i);
        Node hash = node.children.get("#");
        if (hash != null) {
            // '#' consumes zero or more words: try every split point.
            for (int j = i; j <= words.length; j++) {
                match(hash, words, j, out, seen);
            }
        }
        if (i == words.length) {
            out.addAll(node.bindings);
            return;
        }
        Node exact = node.children.get(words[i]);
        if (exact != null) {
            match(exact, words, i + 1, out, seen);
        }
        Node star = node.children.get("*");
        if (star != null) {
            match(star, words, i + 1, out, seen);
        }
    }

    /** "" is zero words; "a..b" has an empty middle word, as in RabbitMQ. */
    static String[] split(String key) {
        if (key.isEmpty()) {
            return new String[0];
        }
        return key.split("\\.", -1);
    }
}
