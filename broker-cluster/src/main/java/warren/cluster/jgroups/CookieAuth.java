package warren.cluster.jgroups;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.AUTH;
import org.jgroups.protocols.AuthHeader;
import org.jgroups.protocols.pbcast.GMS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.membership.VersionRule;

/**
 * JGroups {@link AUTH} that checks the cookie token, then the joiner's Warren version against
 * {@link VersionRule}, and explains a refusal in operator terms.
 *
 * <p>It sits <em>below</em> SYM_ENCRYPT (JGroups' samples put AUTH directly under GMS). Why: a joiner
 * with another cookie encrypts its JOIN with another key, so above SYM_ENCRYPT the request would be
 * dropped as undecryptable before AUTH ever saw it. Below, AUTH reads the clear GMS and AUTH headers,
 * refuses, and its rejection goes back unencrypted so the joiner can read it
 * ({@link CookieEncrypt} lets exactly these rejections through).
 *
 * <p>Why the version is checked here, during the JOIN, rather than after it: a refused joiner never
 * becomes a member, so it receives no snapshot and no broadcast in a format it may misread, and
 * the reason reaches it as the failure of its own {@code connect()}.
 */
final class CookieAuth extends AUTH {

    private static final Logger LOG = LoggerFactory.getLogger(CookieAuth.class);

    static final String REFUSAL_PREFIX = "cluster join refused by ";
    static final String COOKIE_DIFFERS = "the cookie differs (check $HOME/.warren.cookie on both nodes)";

    private final CookieAuthToken own;

    CookieAuth(byte[] token, String version) {
        // A subclass gets protocol id 0 by default; reuse AUTH's id so the AuthHeader is filed
        // under the id every other node (and JGroups' own tooling) expects.
        setId(ClassConfigurator.getProtocolId(AUTH.class));
        this.own = new CookieAuthToken(token, version);
        setAuthToken(own);
    }

    /**
     * Only requests to join or merge carry and need the token. The stock method also inspects
     * JOIN_RSP payloads, which below SYM_ENCRYPT are ciphertext (it would fail on them); responses
     * need no token here because coordinators are not authenticated ({@code authenticate_coord}
     * is off: a joiner with the wrong key could not read a response anyway).
     */
    @Override
    protected boolean needsAuthentication(Message msg, GMS.GmsHeader hdr) {
        byte type = hdr.getType();
        return type == GMS.GmsHeader.JOIN_REQ
                || type == GMS.GmsHeader.JOIN_REQ_WITH_STATE_TRANSFER
                || type == GMS.GmsHeader.MERGE_REQ;
    }

    @Override
    protected boolean handleAuthHeader(GMS.GmsHeader gmsHeader, AuthHeader authHeader, Message msg) {
        String what = gmsHeader.getType() == GMS.GmsHeader.MERGE_REQ ? "merge" : "join";
        if (!super.handleAuthHeader(gmsHeader, authHeader, msg)) {
            LOG.warn("refused cluster {} from {} ({}): its cookie differs from this node's", what, msg.getSrc(),
                    physicalAddressOf(msg.getSrc()));
            return false;
        }
        // The cookie matched: the token comes from a holder of the cookie, so its version is worth reading.
        if (!needsAuthentication(msg, gmsHeader) || !(authHeader.getToken() instanceof CookieAuthToken presented)) {
            return true;
        }
        String mismatch = VersionRule.mismatch(String.valueOf(msg.getSrc()), presented.version(),
                String.valueOf(getAddress()), own.version());
        if (mismatch == null) {
            return true;
        }
        LOG.warn("refused cluster {} from {} ({}): {}", what, msg.getSrc(), physicalAddressOf(msg.getSrc()), mismatch);
        sendRejectionMessage(gmsHeader.getType(), msg.getSrc(), mismatch);
        return false;
    }

    @Override
    protected void sendJoinRejectionMessage(Address dest, String reason) {
        String explained = "authentication failed".equals(reason) ? COOKIE_DIFFERS : reason;
        super.sendJoinRejectionMessage(dest, REFUSAL_PREFIX + getAddress() + ": " + explained);
    }

    private Object physicalAddressOf(Address address) {
        Object physical = down_prot.down(new Event(Event.GET_PHYSICAL_ADDRESS, address));
        return physical instanceof PhysicalAddress ? physical : "address unknown";
    }
}
