<?php
// PHPMailer (Debian libphp-phpmailer) against each scenario.
// styles: errorinfo = the README example's "Message could not be sent. Mailer Error: {$mail->ErrorInfo}"
//         debug     = the last 12 lines printed with SMTPDebug = SMTP::DEBUG_SERVER (2) plus that line
// Run: php drive_phpmailer.php [scenario...]
use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\SMTP;
use PHPMailer\PHPMailer\Exception;
require '/usr/share/php/libphp-phpmailer/autoload.php';

$run = getenv('CAPTURE_RUN') ?: '/tmp/capture/run';
$out = getenv('CAPTURE_OUT') ?: '/tmp/capture/out';
$scenarios = json_decode(file_get_contents("$run/scenarios.json"), true);
$ports = json_decode(file_get_contents("$run/ports.json"), true);
$only = array_slice($argv, 1);

function save($out, $style, $name, $text) {
    $d = "$out/" . (getenv('CAPTURE_TAG') ?: 'phpmailer') . "/$style";  // phpmailer_ru: setLanguage('ru')
    if (!is_dir($d)) mkdir($d, 0777, true);
    file_put_contents("$d/$name.txt", $text);
}

function attempt($run, $mode, $port, $debug) {
    $mail = new PHPMailer(true);
    if (getenv('CAPTURE_LANG')) $mail->setLanguage(getenv('CAPTURE_LANG'), '/usr/share/php/libphp-phpmailer/language/');
    $failed = false;
    ob_start();
    try {
        $mail->isSMTP();
        $mail->Host = 'localhost';
        $mail->Port = $port;
        $mail->Timeout = 4;
        // Timeout only bounds connect; reads wait SMTP::$Timelimit (300 s by default) per reply
        $mail->getSMTPInstance()->Timelimit = 5;
        $mail->SMTPDebug = $debug ? SMTP::DEBUG_SERVER : SMTP::DEBUG_OFF;
        if ($mode === 'ssl') {
            $mail->SMTPSecure = PHPMailer::ENCRYPTION_SMTPS;
        } elseif (str_starts_with($mode, 'starttls')) {
            $mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;
        } else {
            $mail->SMTPAutoTLS = false;
        }
        if (!str_ends_with($mode, 'noauth')) {
            $mail->SMTPAuth = true;
            $mail->Username = 'demo@example.test';
            $mail->Password = 'wrong-or-right-password';
        }
        $mail->SMTPOptions = ['ssl' => ['cafile' => "$run/ca.pem", 'verify_peer' => true, 'verify_peer_name' => true]];
        $mail->setFrom('app@example.test');
        $mail->addAddress('user@example.test');
        $mail->Subject = 'capture';
        $mail->Body = 'hello';
        $mail->send();
        echo "Message has been sent\n";
    } catch (Exception $e) {
        $failed = true;
        echo "Message could not be sent. Mailer Error: {$mail->ErrorInfo}\n";
    }
    $text = ob_get_clean();
    return [$failed, $text];
}

foreach ($scenarios as $name => $sc) {
    if ($only && !in_array($name, $only)) continue;
    [$failed, $text] = attempt($run, $sc['mode'], $ports[$name], false);
    if ($failed) save($out, 'errorinfo', $name, rtrim($text, "\n"));
    [$failed, $text] = attempt($run, $sc['mode'], $ports[$name], true);
    $lines = explode("\n", rtrim($text, "\n"));
    save($out, 'debug', $name, implode("\n", array_slice($lines, -12)));
    echo "$name\n";
}
