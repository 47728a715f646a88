// Starts AWS's DynamoDB Local with its HTTP connector bound to one host (127.0.0.1 unless
// -Dida.dynamodb.host says otherwise). DynamoDB Local has no host option and binds every
// interface; this launcher builds the server exactly as the jar's own main does, sets the host
// on its Jetty connector before it starts, and leaves everything else to DynamoDB Local.
// Run with the source launcher: java -cp DynamoDBLocal.jar DynamoDbLocalOnLoopback.java ARGS
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class DynamoDbLocalOnLoopback {
    private DynamoDbLocalOnLoopback() {}

    public static void main(String[] args) throws Exception {
        String host = System.getProperty("ida.dynamodb.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        // The Jetty server is a private field of the proxy; it is read once, before start.
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server jetty = (Server) field.get(proxy);
        int bound = 0;
        for (Connector connector : jetty.getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                serverConnector.setHost(host);
                bound++;
            }
        }
        if (bound == 0) {
            throw new IllegalStateException("DynamoDB Local has no Jetty ServerConnector to bind to " + host);
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on " + host);
        proxy.join();
    }
}
