"""What the generated support conversations say: one script per subject, so a ticket's messages are
about its subject (an opener, the agent's replies, the customer's follow-ups, a closing message and
the agents' internal notes). ``{first}``, ``{days}``, ``{amount}`` and ``{ref}`` are filled per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Script:
    subject: str
    opener: str
    replies: tuple[str, ...]  # the agent, in order
    follow_ups: tuple[str, ...]  # the customer, in order
    resolution: str
    notes: tuple[str, ...]  # internal notes, never shown to the customer


def _s(subject: str, opener: str, replies: tuple[str, ...], follow_ups: tuple[str, ...], resolution: str,
       notes: tuple[str, ...]) -> Script:
    return Script(subject, opener, replies, follow_ups, resolution, notes)


_KYC_NOTES = ("Asked compliance for the case status.", "Case is in the compliance queue; nothing missing on our side.")
_PAY_NOTES = ("Checked the ledger: the payment is with treasury for approval.",
              "Customer is a VIP client; keep the reply formal.", "Possible duplicate of an earlier ticket.")
_TECH_NOTES = ("Escalated to engineering (login service).", "Reproduced on the web app; mobile works.")
_GEN_NOTES = ("Identity re-confirmed by phone before changing details.", "Possible duplicate of an earlier ticket.")

SCRIPTS: dict[str, tuple[Script, ...]] = {
    "KYC": (
        _s("Verification still pending",
           "Hello, I submitted my documents {days} days ago and my verification still shows pending. Can you check?",
           ("Thanks for your patience, {first}. Your documents are with our compliance team and will be reviewed shortly.",
            "Compliance has picked up your case; you will get an e-mail as soon as it is decided."),
           ("Any update on my verification?", "Thank you, I will wait for the e-mail."),
           "Your verification is complete. I am marking this ticket as resolved.", _KYC_NOTES),
        _s("Why was my ID rejected?",
           "My ID was rejected and I do not understand why. The photo looked fine to me.",
           ("Sorry about that, {first}. The photo was too blurry to read the document number.",
            "Please upload a sharper photo in good light, without glare on the card."),
           ("I uploaded a new photo just now.", "Is the new photo readable?"),
           "The new photo was accepted. Glad we could help!", _KYC_NOTES),
        _s("Cannot upload my passport",
           "The upload of my passport fails every time with an error. The file is a photo from my phone.",
           ("Thanks, {first}. Which file type and size is the photo?",
            "Files up to 10 MB in JPG, PNG or PDF are accepted; please try a smaller photo."),
           ("It is a 14 MB HEIC file from my phone.", "A smaller JPG worked, thank you."),
           "The passport is uploaded. I am marking this ticket as resolved.", _TECH_NOTES),
        _s("Proof of address not accepted",
           "My proof of address was not accepted. It is my electricity bill.",
           ("Hi {first}, the bill you sent is more than three months old.",
            "Any utility bill or bank statement from the last three months works."),
           ("I sent this month's bank statement instead.", "Please confirm you received it."),
           "The new proof of address was accepted. Thank you!", _KYC_NOTES),
        _s("Selfie check keeps failing",
           "The selfie step fails every time I try it. I have tried five times now.",
           ("Sorry about that, {first}. The selfie needs good light and your whole face in the frame.",
            "Please remove glasses and try again in daylight."),
           ("Still failing after three more tries.", "It worked in daylight, thanks."),
           "Your selfie check passed. I am marking this ticket as resolved.", _TECH_NOTES),
    ),
    "BILLING": (
        _s("Deposit not credited",
           "Hi, I sent {amount} on {date} but it does not show in my account yet. Reference {ref}.",
           ("Thanks for the reference, {first}. I can see the payment; it is with our treasury team for approval.",
            "The deposit has now been credited. Please refresh your dashboard."),
           ("Any update on this?", "I can see it now, thank you!"),
           "The deposit is credited. Glad we could help!", _PAY_NOTES),
        _s("Withdrawal delayed",
           "I requested a withdrawal of {amount} {days} days ago and have not received it. Reference {ref}.",
           ("Thanks, {first}. Withdrawals above the daily limit need a second approval; yours is in that queue.",
            "The withdrawal was approved today; your bank should show it within one business day."),
           ("It is still not in my bank account.", "Received it this morning, thanks."),
           "The withdrawal has arrived. I am marking this ticket as resolved.", _PAY_NOTES),
        _s("Wrong amount received",
           "I withdrew {amount} but my bank received less. Reference {ref}.",
           ("Hi {first}, the difference is your bank's incoming transfer fee, not ours.",
            "I have attached the breakdown of the transfer to this ticket."),
           ("So the platform did not charge anything?", "Understood, thank you for checking."),
           "The amounts are explained. Let us know if anything else comes up.", _PAY_NOTES),
        _s("Fee charged twice",
           "I was charged the card fee twice for one deposit of {amount}. Reference {ref}.",
           ("Thanks, {first}. I can see two fee lines for that deposit; I have asked treasury to refund one.",
            "The duplicate fee has been refunded to your card."),
           ("When will the refund arrive?", "I can see the refund now."),
           "The duplicate fee is refunded. I am marking this ticket as resolved.", _PAY_NOTES),
        _s("Refund for cancelled transfer",
           "I cancelled a transfer of {amount} but have not received the money back. Reference {ref}.",
           ("Sorry for the wait, {first}. Cancelled transfers are returned within five business days.",
            "The refund was sent today; please allow one business day for your bank."),
           ("It has been a week now.", "The money is back, thanks."),
           "The refund has arrived. Glad we could help!", _PAY_NOTES),
    ),
    "TECHNICAL": (
        _s("App crashes on login",
           "The app closes as soon as I sign in. I reinstalled it already.",
           ("Thanks, {first}. Which phone and app version do you use?",
            "A fix for that crash is in the latest version; please update the app."),
           ("It is an Android phone, version 4.2 of the app.", "After the update it works, thanks!"),
           "The update fixed the crash. I am marking this ticket as resolved.", _TECH_NOTES),
        _s("Two-factor code not arriving",
           "I do not receive the two-factor code by SMS, so I cannot sign in.",
           ("Sorry, {first}. Please check that the phone number on your profile is correct.",
            "I have switched your two-step method to e-mail codes; please try again."),
           ("The number is correct, still no SMS.", "The e-mail code worked, thank you."),
           "You can sign in again. I am marking this ticket as resolved.", _TECH_NOTES),
        _s("Page keeps loading",
           "The portfolio page keeps loading forever since yesterday. I tried another browser already.",
           ("Thanks, {first}. Could you send us a screenshot of the page?",
            "Please try again after clearing your browser cache."),
           ("I have attached a screenshot.", "Clearing the cache fixed it."),
           "The page loads again. Let us know if anything else comes up.", _TECH_NOTES),
        _s("Cannot reset my password",
           "The password reset link says it has expired, every time I request a new one.",
           ("Hi {first}, reset links are valid for 30 minutes; please use the newest e-mail only.",
            "I have sent you a fresh link just now."),
           ("The new link expired as well.", "It worked this time, thanks."),
           "Your password is reset. I am marking this ticket as resolved.", _TECH_NOTES),
        _s("Chart shows wrong balance",
           "The chart on my dashboard shows a lower balance than my statement.",
           ("Thanks, {first}. The chart uses yesterday's closing values; the statement is live.",
            "Both match as of this morning; please refresh the page."),
           ("The numbers still differ.", "They match now, thank you."),
           "The balances match. I am marking this ticket as resolved.", _TECH_NOTES),
    ),
    "GENERAL": (
        _s("Change my e-mail address",
           "Good morning, I would like to change the e-mail address on my account. What do I need to send?",
           ("Hi {first}, please reply from your current address with the new one.",
            "Your e-mail address has been updated."),
           ("Done, I replied from my old address.", "I received the confirmation, thanks."),
           "Your e-mail address is updated. Glad we could help!", _GEN_NOTES),
        _s("Close my account",
           "Please close my account. I no longer use it.",
           ("Sorry to see you go, {first}. Please withdraw your remaining balance first.",
            "Your account will be closed once the balance is zero."),
           ("I have withdrawn everything now.", "Thanks for the quick help."),
           "Your account is closed. Thank you for being a customer.", _GEN_NOTES),
        _s("Question about fees",
           "What are the fees for a wire withdrawal of {amount}?",
           ("Hi {first}, wire withdrawals cost a flat fee; the full list is on our pricing page.",
            "For {amount} the fee would be the flat fee only."),
           ("Is there a fee for ACH as well?", "Thanks, that answers it."),
           "Glad we could help! Let us know if anything else comes up.", _GEN_NOTES),
        _s("Update my phone number",
           "I have a new phone number. How do I update it on my account?",
           ("Hi {first}, you can change it under Profile, then Security.",
            "I have updated it for you as well; please confirm the code we sent."),
           ("I cannot find the Security section.", "Confirmed the code, thanks."),
           "Your phone number is updated. I am marking this ticket as resolved.", _GEN_NOTES),
        _s("Tax statement request",
           "Could you send me the annual tax statement for last year?",
           ("Hi {first}, the statement is under Documents, then Tax.",
            "I have also e-mailed it to you as a PDF."),
           ("I cannot see it under Documents.", "Got the PDF, thank you."),
           "You have your tax statement. Glad we could help!", _GEN_NOTES),
    ),
    "": (
        _s("Need help with my account",
           "Hello, could someone help me with my account please? I cannot see my latest deposit of {amount}.",
           ("Of course, {first}. I can see the deposit; it is being approved now.",
            "It is credited now; please refresh your dashboard."),
           ("Thank you, please let me know.", "I see it now, thanks!"),
           "The deposit is credited. Glad we could help!", _PAY_NOTES),
        _s("Please call me back",
           "Please call me back about my account; I prefer to talk on the phone.",
           ("Hi {first}, which time suits you for a call tomorrow?",
            "I called you as agreed; here is a summary of what we discussed."),
           ("Any time after 10 am works.", "Thanks for the call."),
           "Thanks for talking to us. I am marking this ticket as resolved.", _GEN_NOTES),
    ),
}


def scripts_for(category: str) -> tuple[Script, ...]:
    return SCRIPTS[category]
