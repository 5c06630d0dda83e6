/**
 * The Netty transport of the inter-node data link: length-prefixed frames over TCP, a mutual
 * HMAC challenge/response on the cluster cookie before anything else, one outbound connection per
 * running peer (redialled with backoff), and batched flushes. The broker sees only
 * {@link warren.core.link.LinkConnection} and {@link warren.core.link.LinkHandler}; the entry point is
 * {@link warren.cluster.link.DataLinkTransport}.
 */
package warren.cluster.link;
