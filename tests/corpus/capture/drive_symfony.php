<?php
// Symfony Mailer 5.4.53 (Debian php-symfony-mailer) on PHP 8.2, configured by a MAILER_DSN as Symfony apps are:
// smtp://user:pass@host:port (STARTTLS whenever the server offers it; 5.4 cannot require or refuse it) or smtps://.
// The capture CA is given as the stream's ssl cafile; default_socket_timeout = 4 s is the socket timeout.
// styles: message = $e->getMessage() (what a Symfony app logs: "... [exception] message")
//         debug   = the last 10 lines of $e->getDebug() (the SMTP transcript a TransportException carries)
// Run: php drive_symfony.php [scenario...]
require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';

use Symfony\Component\Mailer\Exception\TransportExceptionInterface;
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;

ini_set('default_socket_timeout', '4');
$RUN = getenv('CAPTURE_RUN') ?: '/tmp/capture/run';
$OUT = getenv('CAPTURE_OUT') ?: '/tmp/capture/out';
$scenarios = json_decode(file_get_contents("$RUN/scenarios.json"), true);
$ports = json_decode(file_get_contents("$RUN/ports.json"), true);
$only = array_slice($argv, 1);

function save(string $style, string $name, string $text): void {
    global $OUT;
    @mkdir("$OUT/symfony/$style", 0777, true);
    file_put_contents("$OUT/symfony/$style/$name.txt", $text);
}

foreach ($scenarios as $name => $sc) {
    if ($only && !in_array($name, $only, true)) continue;
    $mode = $sc['mode'];
    $scheme = $mode === 'ssl' ? 'smtps' : 'smtp';
    $cred = str_ends_with($mode, 'noauth') ? '' : rawurlencode('demo@example.test') . ':' . rawurlencode('wrong-or-right-password') . '@';
    try {
        $transport = Transport::fromDsn("$scheme://{$cred}localhost:{$ports[$name]}");
        $transport->getStream()->setStreamOptions(['ssl' => ['cafile' => "$RUN/ca.pem", 'verify_peer' => true, 'verify_peer_name' => true]]);
        $email = (new Email())->from('app@example.test')->to('user@example.test')->subject('capture')->text('hello');
        (new Mailer($transport))->send($email);
    } catch (TransportExceptionInterface $e) {
        save('message', $name, $e->getMessage());
        $lines = array_values(array_filter(explode("\n", rtrim($e->getDebug())), fn($l) => trim($l) !== ''));
        if ($lines) save('debug', $name, implode("\n", array_slice($lines, -10)));
    } catch (Throwable $e) {
        save('message', $name, get_class($e) . ': ' . $e->getMessage());
    }
    echo "$name\n";
}
