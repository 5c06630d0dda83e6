package warren.cluster.membership;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which Warren versions may run side by side in one cluster: the same major and minor version,
 * any patch version (1.2.0 with 1.2.5 yes, 1.2.x with 1.3.x or 2.2.x no). This is the rule of
 * RabbitMQ's clustering guide ("Upgrading clusters").
 *
 * <p>Why the minor version is the line: a minor release may change what members exchange (the
 * replicated definition commands, the snapshot a joiner receives, the records it stores) and no
 * member translates between two formats, so a mixed cluster could misread what it replicates. A
 * patch release keeps those formats, so members can be upgraded one at a time. Crossing a minor
 * version therefore means stopping the whole cluster, upgrading every node, and starting it again.
 *
 * <p>Only the leading {@code major.minor} is compared; whatever follows (the patch number, a
 * qualifier such as {@code -SNAPSHOT} or {@code -rc1}) is ignored. A version that does not start
 * with two numbers is compatible only with the very same string: with nothing to compare, refusing
 * is the safe answer. The relation is an equivalence, so which member happens to be coordinator
 * does not change who may join.
 */
public final class VersionRule {

    private static final Pattern MAJOR_MINOR = Pattern.compile("(\\d{1,9})\\.(\\d{1,9})(?:[.+-].*)?");

    private VersionRule() {
    }

    /** True when nodes running {@code one} and {@code other} may be members of one cluster. */
    public static boolean compatible(String one, String other) {
        Objects.requireNonNull(one, "one");
        Objects.requireNonNull(other, "other");
        int[] a = majorMinor(one);
        int[] b = majorMinor(other);
        if (a == null || b == null) {
            return one.equals(other);
        }
        return a[0] == b[0] && a[1] == b[1];
    }

    /**
     * The reason a member gives a joiner it refuses, naming both nodes and both versions; null when
     * the versions are {@linkplain #compatible compatible}.
     */
    public static String mismatch(String joiner, String joinerVersion, String member, String memberVersion) {
        if (compatible(joinerVersion, memberVersion)) {
            return null;
        }
        return "version mismatch: node " + joiner + " runs Warren " + joinerVersion + " but cluster member " + member
                + " runs Warren " + memberVersion + "; nodes of different " + difference(joinerVersion, memberVersion)
                + " versions cannot cluster (patch versions may differ)";
    }

    private static String difference(String one, String other) {
        int[] a = majorMinor(one);
        int[] b = majorMinor(other);
        if (a == null || b == null) {
            return "major or minor";
        }
        return a[0] != b[0] ? "major" : "minor";
    }

    /** {major, minor}, or null if {@code version} does not start with two dot-separated numbers. */
    private static int[] majorMinor(String version) {
        Matcher m = MAJOR_MINOR.matcher(version);
        if (!m.matches()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }
}
