// Jakarta Mail 2.0 (Debian libjakarta-mail-java) against each scenario, with its default properties
// except the ones set below. Trust: -Djavax.net.ssl.trustStore=ca.p12 (the capture CA).
// styles: tostring = e.toString() (MessagingException includes "nested exception is:")
//         trace    = the first 8 lines of e.printStackTrace()
import jakarta.mail.*;
import jakarta.mail.internet.*;
import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;

public class Capture {
    static String run = Optional.ofNullable(System.getenv("CAPTURE_RUN")).orElse("/tmp/capture/run");
    static String out = Optional.ofNullable(System.getenv("CAPTURE_OUT")).orElse("/tmp/capture/out");

    static void save(String style, String name, String text) throws IOException {
        Path d = Paths.get(out, "javamail", style);
        Files.createDirectories(d);
        Files.writeString(d.resolve(name + ".txt"), text);
    }

    static Map<String, String> flat(String json, String field) {
        // tiny reader for {"name": {... "mode": "x" ...}} and {"name": port}
        Map<String, String> m = new LinkedHashMap<>();
        Matcher mt = field == null
            ? Pattern.compile("\"([^\"]+)\":\\s*(\\d+)").matcher(json)
            : Pattern.compile("\"name\":\\s*\"([^\"]+)\",\\s*\"mode\":\\s*\"([^\"]+)\"").matcher(json);
        while (mt.find()) m.put(mt.group(1), mt.group(2));
        return m;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> modes = flat(Files.readString(Paths.get(run, "scenarios.json")), "mode");
        Map<String, String> ports = flat(Files.readString(Paths.get(run, "ports.json")), null);
        Set<String> only = new HashSet<>(Arrays.asList(args));
        for (String name : modes.keySet()) {
            if (!only.isEmpty() && !only.contains(name)) continue;
            String mode = modes.get(name);
            Properties p = new Properties();
            p.put("mail.smtp.host", "localhost");
            p.put("mail.smtp.port", ports.get(name));
            p.put("mail.smtp.connectiontimeout", "4000");
            p.put("mail.smtp.timeout", "4000");
            boolean auth = !mode.endsWith("noauth");
            p.put("mail.smtp.auth", String.valueOf(auth));
            if (mode.equals("ssl")) p.put("mail.smtp.ssl.enable", "true");
            else if (mode.startsWith("starttls")) { p.put("mail.smtp.starttls.enable", "true"); p.put("mail.smtp.starttls.required", "true"); }
            p.put("mail.debug", System.getProperty("capture.debug", "false"));
            Session s = Session.getInstance(p);
            try {
                MimeMessage m = new MimeMessage(s);
                m.setFrom(new InternetAddress("app@example.test"));
                m.setRecipients(Message.RecipientType.TO, "user@example.test");
                m.setSubject("capture");
                m.setText("hello");
                if (auth) Transport.send(m, "demo@example.test", "wrong-or-right-password");
                else Transport.send(m);
            } catch (Exception e) {
                save("tostring", name, e.toString());
                StringWriter sw = new StringWriter();
                e.printStackTrace(new PrintWriter(sw));
                String[] lines = sw.toString().split("\n");
                save("trace", name, String.join("\n", Arrays.copyOfRange(lines, 0, Math.min(8, lines.length))));
            }
            System.out.println(name);
        }
    }
}
