// keygate consumer example: Java 17, the JDK only (java.security.Signature SHA512withRSA, java.net.http.HttpClient).
//
// Mints one RS512 token for the keygate token contract and calls GET <endpoint>/whoami over HTTPS
// with a client certificate, verifying the server certificate (and its host name) against the CA
// file. Prints the response body on stdout; exits 0 on a 2xx status, 1 on any other status or a
// failure, 2 on bad usage.
//
// Inputs (a flag wins over its environment variable; the same names in every example):
//   --endpoint URL        KEYGATE_ENDPOINT     API base URL                      default https://127.0.0.1:8443
//   --name NAME           KEYGATE_KEY_NAME     registered key name (sub = ces:customer:NAME)   required
//   --signing-key FILE    KEYGATE_SIGNING_KEY  your RSA private key (PEM, PKCS#8 or PKCS#1)    required
//   --client-cert FILE    KEYGATE_CLIENT_CERT  client certificate (PEM)          default .keygate/demo.pem
//   --client-key FILE     KEYGATE_CLIENT_KEY   its private key (PEM, PKCS#8 RSA or EC, or PKCS#1 RSA)  default .keygate/demo.key
//   --ca FILE             KEYGATE_CA           CA that issued the server certificate (PEM)  default .keygate/ca/ca.pem
//   --kid KID             KEYGATE_KID          optional key id for the JWT header (selects one key in a rotation)
//
// Run (single-file source launch, no build step):
//   java examples/java/CallApi.java --name demo --signing-key .keygate/demo-key/private.pem

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

public class CallApi {
  static final long TTL_SECONDS = 300; // the contract allows at most 1800 (exp - iat)
  static final Pattern KEY_NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");

  /** flag -> { environment variable, default or null }. */
  static final Map<String, String[]> INPUTS = new LinkedHashMap<>();

  static {
    INPUTS.put("--endpoint", new String[] {"KEYGATE_ENDPOINT", "https://127.0.0.1:8443"});
    INPUTS.put("--name", new String[] {"KEYGATE_KEY_NAME", null});
    INPUTS.put("--signing-key", new String[] {"KEYGATE_SIGNING_KEY", null});
    INPUTS.put("--client-cert", new String[] {"KEYGATE_CLIENT_CERT", ".keygate/demo.pem"});
    INPUTS.put("--client-key", new String[] {"KEYGATE_CLIENT_KEY", ".keygate/demo.key"});
    INPUTS.put("--ca", new String[] {"KEYGATE_CA", ".keygate/ca/ca.pem"});
    INPUTS.put("--kid", new String[] {"KEYGATE_KID", null});
  }

  static final class UsageError extends Exception {
    UsageError(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    Map<String, String> in;
    try {
      in = readInputs(args);
    } catch (UsageError e) {
      if (e.getMessage() != null) System.err.println("call-api: " + e.getMessage());
      System.err.println(
          "usage: java examples/java/CallApi.java --name NAME --signing-key FILE [--endpoint URL] [--client-cert FILE] [--client-key FILE] [--ca FILE] [--kid KID]");
      System.exit(e.getMessage() == null ? 0 : 2);
      return;
    }
    URI url = URI.create(in.get("--endpoint").replaceAll("/+$", "") + "/whoami");
    try {
      String token = mintToken(in.get("--name"), Path.of(in.get("--signing-key")), in.get("--kid"));
      HttpResponse<String> response = get(url, token, in);
      String body = response.body();
      System.out.print(body.endsWith("\n") ? body : body + "\n");
      System.out.flush();
      if (response.statusCode() < 200 || response.statusCode() > 299) {
        System.err.println("call-api: GET " + url + " answered HTTP " + response.statusCode());
        System.exit(1);
      }
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      System.err.println("call-api: " + describe(e));
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.exit(1);
    }
  }

  static Map<String, String> readInputs(String[] args) throws UsageError {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) throw new UsageError(null);
      int eq = arg.indexOf('=');
      String flag = eq > 0 ? arg.substring(0, eq) : arg;
      if (!INPUTS.containsKey(flag)) throw new UsageError("unknown argument " + arg);
      String value = eq > 0 ? arg.substring(eq + 1) : (i + 1 < args.length ? args[++i] : null);
      if (value == null) throw new UsageError(flag + " needs a value");
      flags.put(flag, value);
    }
    Map<String, String> in = new LinkedHashMap<>();
    for (Map.Entry<String, String[]> input : INPUTS.entrySet()) {
      String env = System.getenv(input.getValue()[0]);
      String value = flags.getOrDefault(input.getKey(), env == null || env.isEmpty() ? input.getValue()[1] : env);
      if (value != null) in.put(input.getKey(), value);
    }
    for (String required : new String[] {"--name", "--signing-key"}) {
      if (!in.containsKey(required)) throw new UsageError("missing " + required + " (or " + INPUTS.get(required)[0] + ")");
    }
    if (!KEY_NAME.matcher(in.get("--name")).matches()) {
      throw new UsageError("key name \"" + in.get("--name") + "\" is not 1-64 characters of A-Za-z0-9._- starting with a letter or digit");
    }
    if (!in.get("--endpoint").startsWith("https://")) throw new UsageError("--endpoint must be an https:// URL");
    return in;
  }

  // ---- the token ----------------------------------------------------------------------------

  /** One token per call: RS512, sub ces:customer:<name>, integer iat/exp, a fresh jti. */
  static String mintToken(String name, Path signingKeyFile, String kid) throws IOException, GeneralSecurityException {
    PrivateKey key = readPrivateKey(signingKeyFile);
    if (!(key instanceof RSAPrivateKey)) throw new GeneralSecurityException(signingKeyFile + " is not an RSA private key");
    long iat = Instant.now().getEpochSecond();
    String header = kid == null || kid.isEmpty() ? "{\"alg\":\"RS512\"}" : "{\"alg\":\"RS512\",\"kid\":" + jsonString(kid) + "}";
    String claims = "{\"sub\":" + jsonString("ces:customer:" + name)
        + ",\"iat\":" + iat
        + ",\"exp\":" + (iat + TTL_SECONDS)
        + ",\"jti\":" + jsonString(UUID.randomUUID().toString()) + "}";
    String signingInput = b64url(header.getBytes(StandardCharsets.UTF_8)) + "." + b64url(claims.getBytes(StandardCharsets.UTF_8));
    Signature rs512 = Signature.getInstance("SHA512withRSA"); // RSASSA-PKCS1-v1_5 + SHA-512
    rs512.initSign(key);
    rs512.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64url(rs512.sign());
  }

  /** base64url without padding, as JWS requires. */
  static String b64url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String jsonString(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  // ---- mutual TLS ---------------------------------------------------------------------------

  static HttpResponse<String> get(URI url, String token, Map<String, String> in)
      throws IOException, InterruptedException, GeneralSecurityException {
    SSLParameters tls = new SSLParameters();
    tls.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    // HttpClient verifies the server's host name against its certificate (endpoint identification
    // "HTTPS"); leave jdk.internal.httpclient.disableHostnameVerification unset.
    HttpClient client = HttpClient.newBuilder()
        .sslContext(sslContext(Path.of(in.get("--ca")), Path.of(in.get("--client-cert")), Path.of(in.get("--client-key"))))
        .sslParameters(tls)
        .connectTimeout(Duration.ofSeconds(15))
        .build();
    HttpRequest request = HttpRequest.newBuilder(url)
        .GET()
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json")
        .timeout(Duration.ofSeconds(15))
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** Trust: only the certificates in the CA file. Identity: the client certificate chain and its key, in memory. */
  static SSLContext sslContext(Path caFile, Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    int n = 0;
    for (Certificate ca : readCertificates(caFile)) trust.setCertificateEntry("ca-" + n++, ca);
    if (n == 0) throw new GeneralSecurityException("no certificate in " + caFile);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);

    char[] password = UUID.randomUUID().toString().toCharArray(); // protects the in-memory entry only
    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, null);
    Certificate[] chain = readCertificates(certFile);
    if (chain.length == 0) throw new GeneralSecurityException("no certificate in " + certFile);
    identity.setKeyEntry("client", readPrivateKey(keyFile), password, chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(identity, password);

    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
    return context;
  }

  static final Pattern PEM_CERTIFICATE = Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+)-----END CERTIFICATE-----");

  /** Every CERTIFICATE block of a PEM file, in order; text between blocks (as in CA bundles) is skipped. */
  static Certificate[] readCertificates(Path file) throws IOException, GeneralSecurityException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<Certificate> certificates = new ArrayList<>();
    Matcher m = PEM_CERTIFICATE.matcher(Files.readString(file, StandardCharsets.US_ASCII));
    while (m.find()) certificates.add(factory.generateCertificate(new ByteArrayInputStream(Base64.getMimeDecoder().decode(m.group(1)))));
    return certificates.toArray(new Certificate[0]);
  }

  // ---- PEM private keys -----------------------------------------------------------------------

  static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  /** PKCS#8 ("PRIVATE KEY", RSA or EC) or PKCS#1 ("RSA PRIVATE KEY"); encrypted keys are not supported. */
  static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
    Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
    if (!m.find()) throw new GeneralSecurityException(file + " has no PEM private key");
    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
    switch (m.group(1)) {
      case "PRIVATE KEY" -> {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        try {
          return KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (InvalidKeySpecException notRsa) {
          return KeyFactory.getInstance("EC").generatePrivate(spec);
        }
      }
      case "RSA PRIVATE KEY" -> {
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs1ToPkcs8(der)));
      }
      default -> throw new GeneralSecurityException(file + ": unsupported PEM block \"" + m.group(1) + "\" (want PRIVATE KEY or RSA PRIVATE KEY, unencrypted)");
    }
  }

  /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo: SEQUENCE { 0, rsaEncryption + NULL, OCTET STRING }. */
  static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] version = {0x02, 0x01, 0x00};
    byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    byte[] octets = der(0x04, pkcs1);
    byte[] body = new byte[version.length + algorithm.length + octets.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
    System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
    return der(0x30, body);
  }

  static byte[] der(int tag, byte[] content) {
    int len = content.length;
    byte[] length = len < 0x80 ? new byte[] {(byte) len}
        : len < 0x100 ? new byte[] {(byte) 0x81, (byte) len}
        : len < 0x10000 ? new byte[] {(byte) 0x82, (byte) (len >> 8), (byte) len}
        : new byte[] {(byte) 0x83, (byte) (len >> 16), (byte) (len >> 8), (byte) len};
    byte[] out = new byte[1 + length.length + len];
    out[0] = (byte) tag;
    System.arraycopy(length, 0, out, 1, length.length);
    System.arraycopy(content, 0, out, 1 + length.length, len);
    return out;
  }

  static String describe(Throwable e) {
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null && cause != e; cause = cause.getCause()) {
      if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) message.append(": ").append(cause.getMessage());
    }
    return message.toString();
  }
}
