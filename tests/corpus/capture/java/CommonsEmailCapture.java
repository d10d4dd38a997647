// Apache Commons Email 1.5 (Debian libcommons-email-java, on javax.mail 1.6.5 from libmail-java) against each
// scenario: SimpleEmail.send(), with socket connection/read timeouts of 4 s.
//   ssl      = setSSLOnConnect(true) + setSslSmtpPort(PORT)
//   starttls = setStartTLSEnabled(true) + setStartTLSRequired(true); plain = neither
//   auth     = setAuthentication(USER, PASS) unless *-noauth
// Trust: -Djavax.net.ssl.trustStore=ca.p12 (the capture CA). Server identity check left at its default (off).
// style log = what an app logs: e.toString(), then "Caused by: " + the first line of each getCause() in the chain.
// A send still going after 15 s is left behind (daemon thread) and records nothing; a success records nothing.
import org.apache.commons.mail.*;
import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;

public class CommonsEmailCapture {
    static String run = Optional.ofNullable(System.getenv("CAPTURE_RUN")).orElse("/tmp/capture/run");
    static String out = Optional.ofNullable(System.getenv("CAPTURE_OUT")).orElse("/tmp/capture/out");
    static String password = Optional.ofNullable(System.getenv("CAPTURE_PASSWORD")).orElse("wrong-or-right-password");

    static void save(String style, String name, String text) throws IOException {
        Path d = Paths.get(out, "commons-email", style);
        Files.createDirectories(d);
        Files.writeString(d.resolve(name + ".txt"), text);
    }

    static Map<String, String> flat(String json, boolean modes) {
        // tiny reader for {"name": {"name": "x", "mode": "y", ...}} and {"name": port}
        Map<String, String> m = new LinkedHashMap<>();
        Matcher mt = modes
            ? Pattern.compile("\"name\":\\s*\"([^\"]+)\",\\s*\"mode\":\\s*\"([^\"]+)\"").matcher(json)
            : Pattern.compile("\"([^\"]+)\":\\s*(\\d+)").matcher(json);
        while (mt.find()) m.put(mt.group(1), mt.group(2));
        return m;
    }

    static void send(String mode, int port) throws EmailException {
        SimpleEmail e = new SimpleEmail();
        e.setHostName("localhost");
        e.setSmtpPort(port);
        e.setSocketConnectionTimeout(4000);
        e.setSocketTimeout(4000);
        if (mode.equals("ssl")) { e.setSSLOnConnect(true); e.setSslSmtpPort(String.valueOf(port)); }
        else if (mode.startsWith("starttls")) { e.setStartTLSEnabled(true); e.setStartTLSRequired(true); }
        if (!mode.endsWith("noauth")) e.setAuthentication("demo@example.test", password);
        e.setFrom("app@example.test");
        e.addTo("user@example.test");
        e.setSubject("capture");
        e.setMsg("hello");
        e.send();
    }

    static String logged(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        Set<Throwable> seen = new HashSet<>(List.of(t));
        for (Throwable c = t.getCause(); c != null && seen.add(c); c = c.getCause())
            sb.append("\nCaused by: ").append(c.toString().split("\n", 2)[0]);
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> modes = flat(Files.readString(Paths.get(run, "scenarios.json")), true);
        Map<String, String> ports = flat(Files.readString(Paths.get(run, "ports.json")), false);
        List<String> only = Arrays.asList(args);
        for (var sc : modes.entrySet()) {
            String name = sc.getKey();
            if (!only.isEmpty() && !only.contains(name)) continue;
            final Throwable[] err = {null};
            final boolean[] done = {false};
            Thread th = new Thread(() -> {
                try { send(sc.getValue(), Integer.parseInt(ports.get(name))); } catch (Throwable t) { err[0] = t; }
                done[0] = true;
            });
            th.setDaemon(true);
            th.start();
            th.join(15000);
            if (!done[0]) { System.out.println(name + ": commons-email still going after 15 s, left behind; nothing recorded"); continue; }
            if (err[0] == null) { System.out.println(name + " sent"); continue; }
            save("log", name, logged(err[0]));
            System.out.println(name + " error");
        }
        System.exit(0);
    }
}
