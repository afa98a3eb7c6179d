//! What console notifications and e-mails say (title, which is also the e-mail subject, and
//! body), in the recipient's language. English and French; every notice has both, so a new
//! notice cannot be added in one language only.

use crate::model::UserLanguage;

/// One notice about a campaign, with what it needs to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice<'a> {
    /// `by` submitted the campaign (to its creator).
    Submitted {
        campaign: &'a str,
        by: &'a str,
    },
    /// `by` changed an approved campaign, which needs approval again (to its creator).
    Changed {
        campaign: &'a str,
        by: &'a str,
    },
    /// A submitted or changed campaign waits for this approver.
    ApprovalRequested {
        campaign: &'a str,
        by: &'a str,
        changed: bool,
    },
    Approved {
        campaign: &'a str,
        by: &'a str,
    },
    Rejected {
        campaign: &'a str,
        by: &'a str,
        reason: &'a str,
    },
    /// Meta rejected the WhatsApp template of `language`.
    RejectedByWhatsApp {
        campaign: &'a str,
        language: &'a str,
        reason: &'a str,
    },
    /// Meta approved every template: the campaign sends.
    Active {
        campaign: &'a str,
    },
}

/// A written notice: the title (e-mail subject) and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub title: String,
    pub body: String,
}

impl Notice<'_> {
    pub fn write(&self, language: UserLanguage) -> Written {
        let (title, body) = match language {
            UserLanguage::En => self.english(),
            UserLanguage::Fr => self.french(),
        };
        Written { title, body }
    }

    fn english(&self) -> (String, String) {
        let waits = "It waits for an approver; it sends nothing until it is approved.";
        match *self {
            Notice::Submitted { campaign, by } => (
                format!("Campaign \"{campaign}\" submitted for approval"),
                format!("{by} submitted the campaign \"{campaign}\". {waits}"),
            ),
            Notice::Changed { campaign, by } => (
                format!("Campaign \"{campaign}\" changed: approval needed again"),
                format!("{by} changed the campaign \"{campaign}\". {waits}"),
            ),
            Notice::ApprovalRequested { campaign, by, changed } => {
                let (title, body) = if changed {
                    Notice::Changed { campaign, by }.english()
                } else {
                    Notice::Submitted { campaign, by }.english()
                };
                (title, format!("{body} Review it and approve or reject it."))
            }
            Notice::Approved { campaign, by } => {
                (format!("Campaign \"{campaign}\" approved"), format!("{by} approved your campaign \"{campaign}\"."))
            }
            Notice::Rejected { campaign, by, reason } => (
                format!("Campaign \"{campaign}\" rejected"),
                format!("{by} rejected your campaign \"{campaign}\": {reason}. Edit it and submit it again."),
            ),
            Notice::RejectedByWhatsApp { campaign, language, reason } => (
                format!("Campaign \"{campaign}\" rejected by WhatsApp"),
                format!(
                    "WhatsApp (Meta) rejected the {language} template: {reason}. Edit the WhatsApp content and \
                     submit the campaign again."
                ),
            ),
            Notice::Active { campaign } => (
                format!("Campaign \"{campaign}\" is active"),
                format!("WhatsApp approved the templates of \"{campaign}\". It now sends to guests as planned."),
            ),
        }
    }

    fn french(&self) -> (String, String) {
        let waits = "Elle attend un approbateur\u{a0}; elle n'envoie rien tant qu'elle n'est pas approuvée.";
        match *self {
            Notice::Submitted { campaign, by } => (
                format!("Campagne « {campaign} » soumise pour approbation"),
                format!("{by} a soumis la campagne « {campaign} ». {waits}"),
            ),
            Notice::Changed { campaign, by } => (
                format!("Campagne « {campaign} » modifiée\u{a0}: nouvelle approbation nécessaire"),
                format!("{by} a modifié la campagne « {campaign} ». {waits}"),
            ),
            Notice::ApprovalRequested { campaign, by, changed } => {
                let (title, body) = if changed {
                    Notice::Changed { campaign, by }.french()
                } else {
                    Notice::Submitted { campaign, by }.french()
                };
                (title, format!("{body} Examinez-la, puis approuvez-la ou rejetez-la."))
            }
            Notice::Approved { campaign, by } => (
                format!("Campagne « {campaign} » approuvée"),
                format!("{by} a approuvé votre campagne « {campaign} »."),
            ),
            Notice::Rejected { campaign, by, reason } => (
                format!("Campagne « {campaign} » rejetée"),
                format!(
                    "{by} a rejeté votre campagne « {campaign} »\u{a0}: {reason}. Modifiez-la et soumettez-la de nouveau."
                ),
            ),
            Notice::RejectedByWhatsApp { campaign, language, reason } => (
                format!("Campagne « {campaign} » rejetée par WhatsApp"),
                format!(
                    "WhatsApp (Meta) a rejeté le modèle {language}\u{a0}: {reason}. Modifiez le contenu WhatsApp et \
                     soumettez de nouveau la campagne."
                ),
            ),
            Notice::Active { campaign } => (
                format!("Campagne « {campaign} » active"),
                format!(
                    "WhatsApp a approuvé les modèles de « {campaign} ». Elle envoie désormais aux clients comme prévu."
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_is_written_in_english_and_french() {
        let notices = [
            Notice::Submitted { campaign: "Welcome", by: "Ed" },
            Notice::Changed { campaign: "Welcome", by: "Ed" },
            Notice::ApprovalRequested { campaign: "Welcome", by: "Ed", changed: false },
            Notice::Approved { campaign: "Welcome", by: "Ap" },
            Notice::Rejected { campaign: "Welcome", by: "Ap", reason: "too long" },
            Notice::RejectedByWhatsApp { campaign: "Welcome", language: "pt", reason: "INVALID_FORMAT" },
            Notice::Active { campaign: "Welcome" },
        ];
        for notice in notices {
            let en = notice.write(UserLanguage::En);
            let fr = notice.write(UserLanguage::Fr);
            assert!(en.title.contains("Campaign \"Welcome\""), "{en:?}");
            assert!(fr.title.contains("Campagne « Welcome »"), "{fr:?}");
            assert_ne!(en.body, fr.body);
        }
        let fr = Notice::Rejected { campaign: "Welcome", by: "Ap", reason: "trop long" }.write(UserLanguage::Fr);
        assert_eq!(fr.title, "Campagne « Welcome » rejetée");
        assert!(fr.body.starts_with("Ap a rejeté votre campagne « Welcome »"));
    }
}
