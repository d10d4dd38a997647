# Perl Net::SMTP (libnet 3.14 in Debian's perl 5.36, IO::Socket::SSL 2.081, Authen::SASL 2.16) against each scenario.
# styles: message = what a script's `... or die $smtp->code . " " . $smtp->message` shows for the failing step
#                   (the reply as Net::SMTP keeps it; `$@` when Net::SMTP->new itself fails, and
#                   $IO::Socket::SSL::SSL_ERROR when a TLS handshake fails)
#         debug   = the last 10 lines of the Debug => 1 transcript Net::SMTP prints on STDERR
# Run: perl drive_netsmtp.pl [scenario...]
use strict;
use warnings;
use Net::SMTP;
use JSON::PP;
use File::Path qw(make_path);
$| = 1;

my $RUN = $ENV{CAPTURE_RUN} || '/tmp/capture/run';
my $OUT = $ENV{CAPTURE_OUT} || '/tmp/capture/out';
sub slurp { local $/; open my $fh, '<', $_[0] or die "$_[0]: $!"; my $t = <$fh>; close $fh; $t }
my $scenarios = decode_json(slurp("$RUN/scenarios.json"));
my $ports = decode_json(slurp("$RUN/ports.json"));
my %only = map { $_ => 1 } @ARGV;

sub save {
    my ($style, $name, $text) = @_;
    make_path("$OUT/netsmtp/$style");
    open my $fh, '>', "$OUT/netsmtp/$style/$name.txt" or die $!;
    print $fh $text;
    close $fh;
}

# returns undef on success, else the error text of the failing step
sub deliver {
    my ($mode, $port, $debug) = @_;
    my %tls = (SSL_ca_file => "$RUN/ca.pem", SSL_version => 'TLSv1_2:!TLSv1_1:!TLSv1:!SSLv3');
    my $smtp = Net::SMTP->new('localhost', Port => $port, Timeout => 4, Hello => 'client.example.test',
                              Debug => $debug, ($mode eq 'ssl' ? (SSL => 1, %tls) : ()));
    return $@ || $IO::Socket::SSL::SSL_ERROR unless $smtp;
    my $fail = sub { my $t = $smtp->code . ' ' . $smtp->message; $smtp->close; $t };
    if ($mode =~ /^starttls/) {
        # a failed handshake after "220 Ready to start TLS": the reason is IO::Socket::SSL's, as its docs advise
        $smtp->starttls(%tls) or return ($smtp->code =~ /^2/ ? $IO::Socket::SSL::SSL_ERROR : $fail->());
    }
    if ($mode !~ /noauth$/) {
        $smtp->auth('demo@example.test', 'wrong-or-right-password') or return $fail->();
    }
    $smtp->mail('app@example.test') or return $fail->();
    $smtp->to('user@example.test') or return $fail->();
    $smtp->data() or return $fail->();
    $smtp->datasend("From: app\@example.test\r\nTo: user\@example.test\r\nSubject: capture\r\n\r\nhello\r\n");
    $smtp->dataend() or return $fail->();
    $smtp->quit;
    return undef;
}

for my $name (sort { $ports->{$a} <=> $ports->{$b} } keys %$ports) {
    next if %only && !$only{$name};
    my $mode = $scenarios->{$name}{mode};
    # Net::SMTP's Timeout does not cover a read inside TLS 1.3 (select wakes for the session ticket, then the
    # SSL read blocks): a guard alarm ends such a run, and a run the guard ended records nothing
    local $SIG{ALRM} = sub { die "capture guard\n" };
    alarm 30;
    my $err = eval { deliver($mode, $ports->{$name}, 0) };
    my $hung = ($@ eq "capture guard\n");
    alarm 0;
    $err = $@ if $@ && !$hung;  # a die inside Net::SMTP/Authen::SASL: what an uncaught die prints
    save('message', $name, $err) if defined $err && !$hung;
    # Debug output goes to STDERR: catch it in a temporary file
    open my $saved, '>&', \*STDERR or die;
    my $tmp = "$RUN/netsmtp-debug.txt";
    open STDERR, '>', $tmp or die;
    alarm 30;
    my $err2 = eval { deliver($mode, $ports->{$name}, 1) };
    $hung ||= ($@ eq "capture guard\n");
    alarm 0;
    open STDERR, '>&', $saved or die;
    my @lines = grep { /\S/ } split /\n/, slurp($tmp);
    save('debug', $name, join("\n", @lines[($#lines > 9 ? $#lines - 9 : 0) .. $#lines])) if @lines && !$hung;
    print "$name", ($hung ? " hung: nothing recorded" : ""), "\n";
}
