//! Each claim in plain words: what it is and what a relying party does with it.

/// The meaning of a claim of an ID token or an access token.
pub fn claim(name: &str) -> &'static str {
    match name {
        "iss" => {
            "Issuer: who made this token. Your app checks it is exactly the issuer it discovered."
        }
        "sub" => {
            "Subject: the user's stable, opaque id at Charter. Key your user records on (iss, sub) — never on the email."
        }
        "aud" => {
            "Audience: who the token is for. An ID token's audience is this app's client_id; an access token's is the API it may call."
        }
        "azp" => "Authorized party: the client the token was issued to.",
        "exp" => "Expiry: after this moment the token must be refused.",
        "iat" => "Issued at: when Charter signed it.",
        "nbf" => "Not before: the token is not valid before this moment.",
        "auth_time" => {
            "When the user last proved who they are (typed their password) — not when this token was made."
        }
        "nonce" => {
            "The random value this app sent in the authorization request; matching it proves the ID token answers that request (no replay)."
        }
        "at_hash" => {
            "A hash of the access token issued with this ID token, binding the two together."
        }
        "sid" => {
            "Charter's session id: back-channel logout names it when that browser session ends."
        }
        "amr" => "How the user authenticated (pwd: a password).",
        "acr" => "The authentication context class that was satisfied.",
        "jti" => "A unique id of this token: what revocation and replay checks remember.",
        "client_id" => "The client the access token was issued to.",
        "scope" => {
            "The permissions the user granted this app: what an API may let it do. Permissions stay server-side; this is the delegation."
        }
        "grant" => {
            "Charter's id of the grant behind the token: revoking the grant kills every token issued from it."
        }
        "name" | "given_name" | "family_name" | "preferred_username" | "picture" | "locale"
        | "zoneinfo" | "updated_at" => "Profile data the user agreed to share (scope profile).",
        "email" | "email_verified" => {
            "Email address and whether Charter verified it (scope email). Do not treat an unverified address as an identity."
        }
        "phone_number" | "phone_number_verified" => "Phone number (scope phone).",
        "address" => "Postal address (scope address).",
        "alg" => {
            "The signature algorithm. Your library only accepts the algorithms it expects — never \"none\"."
        }
        "kid" => {
            "Which key in Charter's JWKS signed this. Keys rotate: an unknown kid means re-fetch the JWKS."
        }
        "typ" => {
            "The token type: \"at+jwt\" marks an access token (RFC 9068), so it can never pass as an ID token."
        }
        _ => "",
    }
}
