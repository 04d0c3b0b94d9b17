// Castellan in a Testcontainers GenericContainer, driven by the test control API (JUnit 5).
// Not run in Castellan's CI (no Docker there); see README.md.
// Dependencies: org.testcontainers:testcontainers, org.testcontainers:junit-jupiter, org.junit.jupiter:junit-jupiter.

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

@Testcontainers
class CastellanContainerTest {
  static final int CONTAINER_PORT = 3000;
  static final String ADMIN_TOKEN = UUID.randomUUID() + "-" + UUID.randomUUID();
  static final HttpClient http = HttpClient.newHttpClient();
  static int hostPort;
  static String issuer;
  static GenericContainer<?> castellan;

  @BeforeAll
  static void start() throws Exception {
    // The issuer must be the URL tests reach, so the host port is chosen before the start and bound explicitly.
    try (ServerSocket socket = new ServerSocket(0)) {
      hostPort = socket.getLocalPort();
    }
    issuer = "http://localhost:" + hostPort;
    castellan = new GenericContainer<>(DockerImageName.parse("castellan:local"))
        .withEnv("PORT", String.valueOf(CONTAINER_PORT))
        .withEnv("ISSUER", issuer)
        .withEnv("SEED_FILE", "seed/example.json")
        .withEnv("TEST_CONTROL_ENABLED", "true")
        .withEnv("ADMIN_TOKEN", ADMIN_TOKEN)
        .withExposedPorts(CONTAINER_PORT)
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
            new PortBinding(Ports.Binding.bindPort(hostPort), new ExposedPort(CONTAINER_PORT))))
        .waitingFor(Wait.forHttp("/.well-known/openid-configuration").forStatusCode(200).withStartupTimeout(Duration.ofSeconds(60)));
    castellan.start();
  }

  static HttpResponse<String> admin(String method, String path, String json) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(issuer + "/admin/test/" + path))
        .header("Authorization", "Bearer " + ADMIN_TOKEN);
    request = json == null
        ? request.method(method, HttpRequest.BodyPublishers.noBody())
        : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @BeforeEach
  void reset() throws Exception {
    assertEquals(200, admin("POST", "reset", null).statusCode());
  }

  @Test
  void movesTheClockForward() throws Exception {
    HttpResponse<String> moved = admin("POST", "clock", "{\"advance\": \"PT1H\"}");
    assertEquals(200, moved.statusCode());
    assertTrue(moved.body().contains("\"offset_seconds\":3600"));
    // ... now the RP's access tokens from before have expired: exercise its refresh path here.
  }

  @Test
  void forcesTheNextTokenResponseToFail() throws Exception {
    HttpResponse<String> forced = admin("POST", "failures",
        "{\"client_id\": \"staging-web\", \"failure\": \"temporarily_unavailable\", \"count\": 1}");
    assertEquals(201, forced.statusCode());
    // ... the RP's next token request gets 503 temporarily_unavailable with Retry-After: 1.
  }
}
