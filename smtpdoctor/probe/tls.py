"""TLS contexts and reading a server certificate for the failure report."""

from __future__ import annotations

import ssl

from smtpdoctor.report import Evidence, EvidenceKind, Phrase, phrase


# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h)
EXPIRED = {9, 10}  # CERT_NOT_YET_VALID, CERT_HAS_EXPIRED
HOSTNAME = {62, 64}  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH


SELF_SIGNED = {18, 19}  # DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN
NO_ISSUER = {2, 20, 21}  # UNABLE_TO_GET_ISSUER_CERT(_LOCALLY), UNABLE_TO_VERIFY_LEAF_SIGNATURE


def cert_code(error: ssl.SSLCertVerificationError) -> str:
    if error.verify_code in EXPIRED:
        return "tls.cert_expired"
    if error.verify_code in HOSTNAME:
        return "tls.cert_hostname_mismatch"
    return "tls.cert_untrusted"


def library_name() -> str:
    """The TLS library Python is linked with, as it names itself ("OpenSSL", "LibreSSL")."""
    return ssl.OPENSSL_VERSION.split()[0] if ssl.OPENSSL_VERSION else "TLS"


def library_said(reason: object) -> Phrase:
    """The TLS library's own reason, quoted as its words: "OpenSSL: certificate has expired"."""
    return phrase("probe.tls.library_said", library=library_name(), reason=Evidence(EvidenceKind.SYSTEM, str(reason)))


def cert_reason(error: ssl.SSLCertVerificationError) -> Evidence:
    return Evidence(EvidenceKind.SYSTEM, error.verify_message or str(error))


def cert_problem(error: ssl.SSLCertVerificationError) -> Phrase:
    """Our words for a certificate verification failure (OpenSSL's own reason is `cert_reason`)."""
    if error.verify_code in EXPIRED:
        return phrase("probe.tls.cert_not_yet_valid" if error.verify_code == 9 else "probe.tls.cert_expired")
    if error.verify_code in HOSTNAME:
        return phrase("probe.tls.cert_ip_mismatch" if error.verify_code == 64 else "probe.tls.cert_name_mismatch")
    if error.verify_code in SELF_SIGNED:
        return phrase("probe.tls.cert_self_signed")
    if error.verify_code in NO_ISSUER:
        return phrase("probe.tls.cert_unknown_issuer")
    return phrase("probe.tls.cert_untrusted")


PLAINTEXT_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL",
                     "HTTP_REQUEST", "UNEXPECTED_RECORD", "BAD_RECORD_TYPE", "record layer failure", "wrong version number")


def looks_like_plaintext_peer(error: ssl.SSLError) -> bool:
    text = f"{error.reason or ''} {error}"
    return any(reason.lower() in text.lower() for reason in PLAINTEXT_REASONS)


def describe_certificate(der: bytes) -> tuple[str, list[str]]:
    """Subject, issuer, SANs and validity of a DER certificate, and its DNS names."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)

    def cn(name: x509.Name) -> str:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return f"CN={values[0].value}" if values else name.rfc4514_string()

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    start = cert.not_valid_before_utc.strftime("%Y-%m-%d")
    end = cert.not_valid_after_utc.strftime("%Y-%m-%d")
    # X.509 field names, not prose: the same in every language.
    text = f"subject: {cn(cert.subject)}; issuer: {cn(cert.issuer)}; SAN: {', '.join(names) or '-'}; notBefore: {start}; notAfter: {end}"
    return text, names
