package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class FormationOrderTest {

    private static final List<String> NODES =
            List.of("warren@host3", "warren@host1", "warren@host10", "warren@host2");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void everyPermutationOfCandidatesGivesTheSameSeed() {
        Set<String> seeds = new TreeSet<>();
        for (List<String> permutation : permutations(NODES)) {
            seeds.add(FormationOrder.seed(permutation));
        }

        assertEquals(Set.of("warren@host1"), seeds);
    }

    @Test
    void everyPermutationGivesTheSameOrderWhenSomeCandidatesAreRunning() {
        Map<String, CandidateInfo> running = Map.of(
                "warren@host3", new CandidateInfo(2, T0.plusSeconds(5)),
                "warren@host2", new CandidateInfo(2, T0));
        List<String> expected = List.of("warren@host2", "warren@host3", "warren@host1", "warren@host10");

        for (List<String> permutation : permutations(NODES)) {
            assertEquals(expected, FormationOrder.order(permutation, running), permutation.toString());
        }
    }

    @Test
    void exactlyOneOfParallelBlankNodesMayFormANewCluster() {
        List<String> formers = new ArrayList<>();
        for (String self : NODES) {
            if (FormationOrder.mayFormNewCluster(self, NODES)) {
                formers.add(self);
            }
        }

        assertEquals(List.of("warren@host1"), formers);
    }

    @Test
    void nodeMissingFromItsCandidateListNeverFormsAndJoinsTheListedSeed() {
        List<String> others = List.of("warren@host2", "warren@host3");

        assertFalse(FormationOrder.mayFormNewCluster("warren@host0", others));
        assertEquals("warren@host2", FormationOrder.seed(others));
    }

    @Test
    void nodeWithNoCandidatesBootsStandalone() {
        assertTrue(FormationOrder.mayFormNewCluster("warren@host1", List.of()));
    }

    @Test
    void seedOfNoCandidatesIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> FormationOrder.seed(List.of()));
    }

    @Test
    void sortsLargestClusterFirstThenOldestThenName() {
        Map<String, CandidateInfo> running = Map.of(
                "warren@a", new CandidateInfo(1, T0),
                "warren@b", new CandidateInfo(3, T0.plusSeconds(60)),
                "warren@c", new CandidateInfo(3, T0.plusSeconds(10)),
                "warren@d", new CandidateInfo(3, T0.plusSeconds(10)));

        assertEquals(List.of("warren@c", "warren@d", "warren@b", "warren@a", "warren@e"),
                FormationOrder.order(List.of("warren@e", "warren@a", "warren@b", "warren@c",
                        "warren@d"), running));
    }

    @Test
    void runningCandidateOutranksLowerNamedBlankCandidate() {
        Map<String, CandidateInfo> running = Map.of("warren@host3", new CandidateInfo(1, T0));

        assertEquals("warren@host3", FormationOrder.seed(NODES, running));
    }

    @Test
    void nameSeedMayNotFormWhenAnotherCandidateIsAlreadyRunning() {
        Map<String, CandidateInfo> running = Map.of("warren@host3", new CandidateInfo(1, T0));

        assertFalse(FormationOrder.mayFormNewCluster("warren@host1", NODES, running));
        assertTrue(FormationOrder.mayFormNewCluster("warren@host1", NODES,
                Map.of("warren@host1", new CandidateInfo(1, T0))));
    }

    @Test
    void startTimesDoNotDecideWhoMayForm() {
        // host10 started first but, like every blank node, is not running a cluster yet.
        assertTrue(FormationOrder.mayFormNewCluster("warren@host1", NODES, Map.of()));
        assertFalse(FormationOrder.mayFormNewCluster("warren@host10", NODES, Map.of()));
    }

    @Test
    void duplicateCandidatesCountOnce() {
        assertEquals(List.of("warren@a", "warren@b"),
                FormationOrder.order(List.of("warren@b", "warren@a", "warren@b")));
    }

    private static List<List<String>> permutations(List<String> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<String>> result = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<String> rest = new ArrayList<>(items);
            String head = rest.remove(i);
            for (List<String> tail : permutations(rest)) {
                List<String> permutation = new ArrayList<>();
                permutation.add(head);
                permutation.addAll(tail);
                result.add(permutation);
            }
        }
        return result;
    }
}
