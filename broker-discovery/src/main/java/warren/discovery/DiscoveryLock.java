package warren.discovery;

/**
 * A formation lock held in a backend (an etcd lease, a Consul session) while this node joins or
 * forms a cluster, so that nodes booting together do it one at a time. Closing it releases it;
 * closing twice is harmless.
 */
public interface DiscoveryLock extends AutoCloseable {

    /**
     * Releases the lock. A failure to release is logged by the backend, not thrown: the lock's
     * lease or session expires anyway, and the node has already joined.
     */
    @Override
    void close();
}
