import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Starts Neo4j Community (embedded DBMS) with Bolt on a loopback port.
 *
 * Usage: java -cp 'lib/*' Neo4jLauncher.java DATA_DIR
 * Environment: NEO4J_BOLT_PORT (default 7687), NEO4J_PAGECACHE_MB (default 512),
 * NEO4J_PASSWORD (auth on when set; at least 8 characters), NEO4J_TRANSACTION_TIMEOUT_S
 * (default 120: a transaction without a timeout of its own is stopped after this long) and
 * NEO4J_LOCK_TIMEOUT_S (default 30: a transaction waiting this long for a lock fails), so that
 * nothing waits forever.
 * Prints "NEO4J_READY bolt://127.0.0.1:PORT" once queries are served, and one line
 * starting with "NEO4J_ERROR" (then exits 2) when it cannot start.
 */
public class Neo4jLauncher {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args.length > 0 ? args[0] : "neo4j-data").toAbsolutePath();
    int port = Integer.parseInt(System.getenv().getOrDefault("NEO4J_BOLT_PORT", "7687"));
    long pageCacheMb = Long.parseLong(System.getenv().getOrDefault("NEO4J_PAGECACHE_MB", "512"));
    long transactionTimeoutS = Long.parseLong(System.getenv().getOrDefault("NEO4J_TRANSACTION_TIMEOUT_S", "120"));
    long lockTimeoutS = Long.parseLong(System.getenv().getOrDefault("NEO4J_LOCK_TIMEOUT_S", "30"));
    String password = System.getenv("NEO4J_PASSWORD");
    if (password != null && password.isEmpty()) password = null;

    if (!portIsFree(port)) {
      fail("port " + port + " on 127.0.0.1 is already in use; stop what holds it or choose another port");
    }
    Files.createDirectories(home);
    DatabaseManagementService dbms;
    try {
      dbms = new DatabaseManagementServiceBuilder(home)
          .setConfig(BoltConnector.enabled, true)
          .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
          .setConfig(HttpConnector.enabled, false)
          .setConfig(GraphDatabaseSettings.auth_enabled, password != null)
          .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
          .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
          .setConfig(GraphDatabaseSettings.udc_enabled, false)
          .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(transactionTimeoutS))
          .setConfig(GraphDatabaseSettings.lock_acquisition_timeout, Duration.ofSeconds(lockTimeoutS))
          .build();
    } catch (Throwable e) {
      fail(describe(e, home));
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      dbms.shutdown();
      System.out.println("NEO4J_STOPPED");
      System.out.flush();
    }));
    try {
      if (password != null) {
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
            "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
      }
      dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
    } catch (Throwable e) {
      fail(describe(e, home));
    }
    System.out.println("NEO4J_READY bolt://127.0.0.1:" + port);
    System.out.flush();
    new CountDownLatch(1).await();
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String describe(Throwable e, Path home) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String msg = String.valueOf(t.getMessage());
      if (t.getClass().getSimpleName().contains("FileLock") || msg.contains("lock")) {
        return "the data folder " + home + " is locked by another Neo4j process; stop it first"
            + " (if none runs, the lock is stale: remove " + home + "/data/databases/store_lock)";
      }
    }
    Throwable root = e;
    while (root.getCause() != null) root = root.getCause();
    return e.getClass().getSimpleName() + ": " + e.getMessage() + " (cause: " + root + ")";
  }

  private static void fail(String message) {
    System.out.println("NEO4J_ERROR " + message.replace('\n', ' '));
    System.out.flush();
    System.exit(2);
  }
}
