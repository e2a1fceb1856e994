package io.conveyor.producers.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Marks a request of an HTTP version other than 1.0 and 1.1 ({@code GET / HTTP/9.9}) as one that
 * could not be decoded, so that the server's invalid-request handler answers it with the API's
 * {@code 400} ({@link RequestLimits}). Left alone, Vert.x answers such a request itself, with an
 * empty {@code 501}: a server error for what is the client's mistake.
 *
 * <p>It sits in the connection's Netty pipeline right after Vert.x's HTTP decoder, which Vert.x's
 * public API does not reach: {@link #install} uses its {@code ConnectionBase}. If a Vert.x version
 * changes that, nothing is installed and the 501 comes back; {@code HostileRequestsIT} fails on it.
 * Stateless and shared; runs on each connection's event loop.
 */
@ChannelHandler.Sharable
final class VersionCheck extends ChannelInboundHandlerAdapter {
    private static final String NAME = "conveyor-version-check";
    private static final String DECODER = "httpDecoder";
    private static final VersionCheck INSTANCE = new VersionCheck();

    private VersionCheck() {}

    /** Puts the check behind the connection's HTTP/1 decoder, if it has one. */
    static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
            if (pipeline.get(DECODER) != null && pipeline.get(NAME) == null) {
                pipeline.addAfter(DECODER, NAME, INSTANCE);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request
                && request.decoderResult().isSuccess()
                && !request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            request.setDecoderResult(DecoderResult.failure(
                    new UnknownVersion(request.protocolVersion().text())));
        }
        ctx.fireChannelRead(msg);
    }

    /** The version a request named, which the server does not speak. */
    static final class UnknownVersion extends Exception {
        private static final long serialVersionUID = 1L;

        UnknownVersion(String version) {
            super(version, null, false, false);
        }
    }
}
