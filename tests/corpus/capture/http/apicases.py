"""Round three: the documented error answers of the HTTP sending APIs, served on loopback to their real SDKs.

Each case: the provider, the HTTP status and body the provider documents for one failure (the `source` page), and
the finding a person would need. apiserver.py serves case N's answer on every path under /N/; the drivers point each
SDK at http://127.0.0.1:PORT/N (or at a host that routes /N) and record what it prints. Bodies are the providers'
documented shapes; addresses and ids are the test's own.
"""

RESEND = "https://resend.com/docs/api-reference/errors"
SENDGRID = "https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send#responses"
SENDGRID_4XX = "https://support.sendgrid.com/hc/en-us/articles/18322114821403-4XX-API-Errors-and-Troubleshooting-Suggestions"
MAILGUN = "https://documentation.mailgun.com/docs/mailgun/quickstart-guide/responses"
SES1 = "https://docs.aws.amazon.com/ses/latest/APIReference/API_SendEmail.html"
SES2 = "https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html"
SES_COMMON = "https://docs.aws.amazon.com/ses/latest/APIReference/CommonErrors.html"
POSTMARK = "https://postmarkapp.com/developer/api/overview#error-codes"
BREVO = "https://developers.brevo.com/docs/how-it-works"
SMTP2GO = "https://developers.smtp2go.com/docs/response-codes"
POSTAL = "https://apiv1.postalserver.io/controllers/send/message"


def resend(status, name, message):
    return {"statusCode": status, "message": message, "name": name}


def sendgrid(message, field=None):
    return {"errors": [{"message": message, "field": field, "help": None}]}


def postmark(code, message):
    return {"ErrorCode": code, "Message": message}


def postal(code, message):
    return {"status": "error", "time": 0.01, "flags": {}, "data": {"code": code, "message": message}}


def smtp2go(code, error):
    return {"request_id": "22e5acba-43bf-11e6-ae42-408d5cce2644", "data": {"error": error, "error_code": code}}


def ses_xml(code, message):
    return ('<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>7d9a1c2e-5b3f-4e6a-9c1d-2f8e0a4b6c3d</RequestId></ErrorResponse>")


CASES = [
    # provider, status, body (dict: JSON; str: as is), expected, source, note
    ("resend", 401, resend(401, "missing_api_key", "Missing API key in the authorization header."),
     ["config.missing", "auth.bad_credentials"], RESEND, "no Authorization header: the key is not set"),
    ("resend", 403, resend(403, "invalid_api_key", "API key is invalid"), ["auth.bad_credentials"], RESEND, "wrong key"),
    ("resend", 403, resend(403, "validation_error", "You can only send testing emails to your own email address "
                                "(owner@example.test). To send emails to other recipients, please verify a domain at "
                                "resend.com/domains, and change the `from` address to an email using this domain."),
     ["delivery.sandbox_restricted"], RESEND, "no verified domain yet: only the account's own address"),
    ("resend", 403, resend(403, "validation_error", "The example.test domain is not verified. Please, add and verify "
                                "your domain on https://resend.com/domains"),
     ["sender.domain_not_verified"], RESEND, "From on a domain that is not verified"),
    ("resend", 422, resend(422, "validation_error", "Invalid `from` field. The email address needs to follow the "
                                "`email@example.com` or `Name <email@example.com>` format."),
     ["config.sender_invalid"], RESEND, "From not an address"),
    ("resend", 429, resend(429, "rate_limit_exceeded", "Too many requests. You can only make 2 requests per second. "
                                "See rate limit response headers for more information. Or contact support to increase "
                                "rate limit."), ["delivery.rate_limited"], RESEND, "over 2 requests per second"),
    ("resend", 429, resend(429, "daily_quota_exceeded", "You have reached your daily email sending quota."),
     ["delivery.quota_exceeded"], RESEND, "daily quota"),
    ("sendgrid", 401, sendgrid("The provided authorization grant is invalid, expired, or revoked"),
     ["auth.bad_credentials"], SENDGRID_4XX, "wrong, deleted or revoked API key"),
    ("sendgrid", 403, sendgrid("The from address does not match a verified Sender Identity. Mail cannot be sent until "
                               "this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/"
                               "sender-identity/ to see the Sender Identity requirements", "from"),
     ["sender.unverified"], SENDGRID, "From not a verified Sender Identity"),
    ("sendgrid", 401, sendgrid("Maximum credits exceeded"), ["delivery.quota_exceeded"], SENDGRID_4XX,
     "the plan's credits are used up"),
    ("sendgrid", 429, sendgrid("too many requests"), ["delivery.rate_limited"], SENDGRID, "rate limit"),
    ("mailgun", 401, "Forbidden", ["auth.bad_credentials"], MAILGUN, "wrong API key (or US key on the EU host)"),
    ("mailgun", 403, {"message": "Domain sandbox0a1b2c.mailgun.org is not allowed to send: Free accounts are for test "
                                 "purposes only. Please upgrade or add the address to authorized recipients in Account "
                                 "Settings."}, ["delivery.sandbox_restricted"], MAILGUN, "sandbox domain, recipient not authorised"),
    ("mailgun", 404, {"message": "Domain not found: mg.example.test"}, ["sender.domain_not_verified"], MAILGUN,
     "the sending domain is not in this account (or in the other region)"),
    ("mailgun", 400, {"message": "to parameter is not a valid address. please check documentation"},
     ["config.recipient_invalid"], MAILGUN, "recipient not an address"),
    ("ses", 400, ses_xml("MessageRejected", "Email address is not verified. The following identities failed the check "
                                            "in region US-EAST-1: app@example.test"),
     ["sender.unverified", "delivery.sandbox_restricted"], SES1, "From identity not verified"),
    ("ses", 403, ses_xml("InvalidClientTokenId", "The security token included in the request is invalid."),
     ["auth.bad_credentials"], SES_COMMON, "wrong access key id"),
    ("ses", 403, ses_xml("SignatureDoesNotMatch", "The request signature we calculated does not match the signature "
                                                  "you provided. Check your AWS Secret Access Key and signing method. "
                                                  "Consult the service documentation for details."),
     ["auth.bad_credentials"], SES_COMMON, "wrong secret key"),
    ("ses", 400, ses_xml("Throttling", "Maximum sending rate exceeded."), ["delivery.rate_limited"], SES1, "per-second rate"),
    ("ses", 400, ses_xml("Throttling", "Daily message quota exceeded."), ["delivery.quota_exceeded"], SES1, "24-hour quota"),
    ("ses", 400, ses_xml("AccountSendingPausedException", "Sending paused for this account. For more information, "
                                                          "please check the AWS console."),
     ["auth.account_disabled"], SES1, "sending paused for the account"),
    ("ses", 400, ses_xml("MailFromDomainNotVerifiedException", "Could not read the MX record required to use the MAIL "
                                                               "FROM domain mail.example.test"),
     ["sender.domain_not_verified"], SES1, "custom MAIL FROM domain without its MX record"),
    ("sesv2", 400, {"message": "Email address is not verified. The following identities failed the check in region "
                               "EU-WEST-1: user@example.test"},
     ["delivery.sandbox_restricted", "sender.unverified"], SES2, "sandbox: the recipient is not verified",
     {"x-amzn-ErrorType": "MessageRejected"}),
    ("sesv2", 400, {"message": "Sending paused for this account."}, ["auth.account_disabled"], SES2,
     "SendingPausedException", {"x-amzn-ErrorType": "SendingPausedException"}),
    ("sesv2", 429, {"message": "Too Many Requests"}, ["delivery.rate_limited"], SES2, "TooManyRequestsException",
     {"x-amzn-ErrorType": "TooManyRequestsException"}),
    ("postmark", 401, postmark(10, "The Server Token you provided in the X-Postmark-Server-Token request header was "
                                   "invalid. Please verify that you are using a valid token."),
     ["auth.bad_credentials"], POSTMARK, "ErrorCode 10: bad or missing server token"),
    ("postmark", 422, postmark(400, "The 'From' address you supplied (app@example.test) is not a Sender Signature on "
                                    "your account. Please add and confirm this address in order to be able to use it in "
                                    "the 'From' field of your messages."),
     ["sender.unverified"], POSTMARK, "ErrorCode 400: From is no Sender Signature"),
    ("postmark", 422, postmark(412, "While your account is pending approval, all recipient addresses must share the "
                                    "same domain as the 'From' address."),
     ["delivery.sandbox_restricted"], POSTMARK, "ErrorCode 412: account pending approval"),
    ("postmark", 422, postmark(406, "You tried to send to recipient(s) that have been marked as inactive. Found "
                                    "inactive addresses: user@example.test. Inactive recipients are ones that have "
                                    "generated a hard bounce, a spam complaint, or a manual suppression."),
     ["delivery.recipient_rejected"], POSTMARK, "ErrorCode 406: inactive recipient"),
    ("brevo", 401, {"code": "unauthorized", "message": "Key not found"}, ["auth.bad_credentials"], BREVO, "wrong API key"),
    ("brevo", 403, {"code": "permission_denied", "message": "Unable to send email. Your SMTP account is not yet "
                                                            "activated. Please contact us at contact@brevo.com to "
                                                            "request activation"},
     ["auth.account_disabled", "delivery.sandbox_restricted"], BREVO, "transactional sending not activated"),
    ("brevo", 402, {"code": "not_enough_credits", "message": "Not enough credits"}, ["delivery.quota_exceeded"], BREVO,
     "no credits left"),
    ("smtp2go", 400, smtp2go("E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED",
                             "You do not have permission to access this API endpoint"),
     ["auth.bad_credentials"], SMTP2GO, "the API key lacks the /email/send permission"),
    ("smtp2go", 401, smtp2go("E_ApiResponseCodes.API_KEY_INVALID", "Invalid API key"), ["auth.bad_credentials"], SMTP2GO,
     "401: no valid API key"),
    ("postal", 200, postal("InvalidServerAPIKey", "The API token provided in X-Server-API-Key was not valid."),
     ["auth.bad_credentials"], POSTAL, "wrong server API key"),
    ("postal", 200, postal("UnauthenticatedFromAddress", "The From address is not authorised to send mail from this server"),
     ["sender.domain_not_verified", "sender.unverified"], POSTAL, "From domain not set up on this Postal server"),
]
