package warren.cluster.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VersionRuleTest {

    @ParameterizedTest(name = "{0} and {1} may cluster")
    @CsvSource({
            "1.2.0, 1.2.0",
            "1.2.0, 1.2.5",
            "1.2.9, 1.2.10",
            "1.2, 1.2.3",
            "1.2.0-SNAPSHOT, 1.2.4",
            "1.2.4-rc1, 1.2.4",
            "0.1.0, 0.1.7",
            "01.02.0, 1.2.1",
            "nightly, nightly",
    })
    void sameMajorAndMinorAreCompatibleWhateverThePatch(String one, String other) {
        assertTrue(VersionRule.compatible(one, other));
        assertTrue(VersionRule.compatible(other, one));
        assertNull(VersionRule.mismatch("b@h", one, "a@h", other));
    }

    @ParameterizedTest(name = "{0} and {1} may not cluster")
    @CsvSource({
            "1.2.0, 1.3.0",
            "1.2.4, 1.3.0-SNAPSHOT",
            "1.2.0, 2.2.0",
            "0.1.0, 1.1.0",
            "1.2.0, 1.20.0",
            "1.2.0, nightly",
            "nightly, nightly-2",
            "1.2x, 1.2.0",
    })
    void differentMajorOrMinorAreIncompatible(String one, String other) {
        assertFalse(VersionRule.compatible(one, other));
        assertFalse(VersionRule.compatible(other, one));
    }

    @ParameterizedTest(name = "{1} joining {3}: {4}")
    @CsvSource({
            "warren@b, 1.3.0, warren@a, 1.2.4, minor",
            "warren@b, 2.2.0, warren@a, 1.2.4, major",
            "warren@b, dev, warren@a, 1.2.4, major or minor",
    })
    void mismatchNamesBothNodesAndBothVersions(String joiner, String joinerVersion, String member,
            String memberVersion, String difference) {
        assertEquals("version mismatch: node " + joiner + " runs Warren " + joinerVersion + " but cluster member "
                        + member + " runs Warren " + memberVersion + "; nodes of different " + difference
                        + " versions cannot cluster (patch versions may differ)",
                VersionRule.mismatch(joiner, joinerVersion, member, memberVersion));
    }
}
