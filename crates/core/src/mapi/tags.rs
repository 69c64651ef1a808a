//! The one registry of the property ids the reader reads (and the writer
//! will write), named after [MS-OXPROPS].
//!
//! Naming scheme:
//!
//! - **Tagged properties** (`PidTag*`, ids below 0x8000) are `u16` property
//!   ids at the top of this module, the canonical name without its `PidTag`
//!   prefix in SCREAMING_SNAKE_CASE, one word per capitalised part
//!   (`PidTagRtfCompressed` = [`RTF_COMPRESSED`], `PidTagIpmSubtreeEntryId`
//!   = [`IPM_SUBTREE_ENTRY_ID`]). The type is in the value read
//!   ([`super::PropValue`]); where MS-OXPROPS gives one type it is named in
//!   the doc comment. Two canonical names for one id (different types) are
//!   two constants with the same value ([`ATTACH_DATA_BINARY`],
//!   [`ATTACH_DATA_OBJECT`]).
//! - **Property sets** are `[u8; 16]` GUIDs in the byte order stored in
//!   files, named as MS-OXPROPS 1.3.2 names them ([`PSETID_APPOINTMENT`],
//!   [`PS_PUBLIC_STRINGS`]).
//! - **Named properties with a numeric name** (`PidLid*`) are [`Lid`]s,
//!   property set and LID, in [`lid`]: `PidLidAppointmentStartWhole` =
//!   [`lid::APPOINTMENT_START_WHOLE`].
//! - **Named properties with a string name** (`PidName*`) are [`Name`]s,
//!   property set and name, in [`name`]: `PidNameKeywords` =
//!   [`name::KEYWORDS`].
//! - Ids that only MS-PST defines (the name-to-id map's streams, 2.4.7) are
//!   in their own section, named the same way.
//!
//! Named property ids (0x8000 and up) differ per store: [`super::PropBag`]
//! holds them resolved, and [`super::PropBag::lid`] /
//! [`super::PropBag::name`] take the constants here.
//!
//! Property types (`PT_*`) are in [`super`].
//!
//! [MS-OXPROPS]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxprops/

// ------------------------------------------------------------ property sets

/// A GUID in its on-disk (little-endian first three fields) byte order.
pub const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> [u8; 16] {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]]
}

/// `PSETID_Common` {00062008-0000-0000-C000-000000000046}, in the byte order stored in files.
pub const PSETID_COMMON: [u8; 16] = guid(0x00062008, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PSETID_Address` {00062004-0000-0000-C000-000000000046}.
pub const PSETID_ADDRESS: [u8; 16] = guid(0x00062004, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PSETID_Appointment` {00062002-0000-0000-C000-000000000046}.
pub const PSETID_APPOINTMENT: [u8; 16] = guid(0x00062002, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PSETID_Task` {00062003-0000-0000-C000-000000000046}.
pub const PSETID_TASK: [u8; 16] = guid(0x00062003, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PSETID_Log` {0006200A-0000-0000-C000-000000000046}: the journal properties.
pub const PSETID_LOG: [u8; 16] = guid(0x0006200A, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PSETID_Meeting` {6ED8DA90-450B-101B-98DA-00AA003F1305}.
pub const PSETID_MEETING: [u8; 16] = guid(0x6ED8DA90, 0x450B, 0x101B, [0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05]);
/// `PS_PUBLIC_STRINGS` {00020329-0000-0000-C000-000000000046} (Keywords = categories).
pub const PS_PUBLIC_STRINGS: [u8; 16] = guid(0x00020329, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PS_INTERNET_HEADERS` {00020386-0000-0000-C000-000000000046}.
pub const PS_INTERNET_HEADERS: [u8; 16] = guid(0x00020386, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
/// `PS_MAPI` {00020328-0000-0000-C000-000000000046}: named ids that are really tagged ids.
pub const PS_MAPI: [u8; 16] = guid(0x00020328, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);

// ------------------------------------------------------- named property keys

pub use super::{Lid, Name};

const fn common(lid: u32) -> Lid {
    Lid { set: PSETID_COMMON, lid }
}
const fn address(lid: u32) -> Lid {
    Lid { set: PSETID_ADDRESS, lid }
}
const fn appointment(lid: u32) -> Lid {
    Lid { set: PSETID_APPOINTMENT, lid }
}
const fn task(lid: u32) -> Lid {
    Lid { set: PSETID_TASK, lid }
}
const fn log(lid: u32) -> Lid {
    Lid { set: PSETID_LOG, lid }
}
const fn meeting(lid: u32) -> Lid {
    Lid { set: PSETID_MEETING, lid }
}

// ---- PIM items written from the neutral model (issue 10, mapi::pim::write)

/// `PSETID_Note` {0006200E-0000-0000-C000-000000000046}: sticky notes.
pub const PSETID_NOTE: [u8; 16] = guid(0x0006200E, 0x0000, 0x0000, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
const fn note(lid: u32) -> Lid {
    Lid { set: PSETID_NOTE, lid }
}
/// `PidTagExceptionStartTime` (attachment, PtypTime): an exception's start, local as if UTC.
pub const EXCEPTION_START_TIME: u16 = 0x7FFB;
/// `PidTagExceptionEndTime` (attachment, PtypTime): an exception's end, local as if UTC.
pub const EXCEPTION_END_TIME: u16 = 0x7FFC;
// ---- end of the block of mapi::pim::write

// ------------------------------------------------- message: class, envelope

/// `PidTagMessageClass` (PtypString): `IPM.Note` when absent.
pub const MESSAGE_CLASS: u16 = 0x001A;
/// `PidTagImportance` (PtypInteger32): 0 low, 1 normal, 2 high.
pub const IMPORTANCE: u16 = 0x0017;
/// `PidTagSensitivity` (PtypInteger32): 0 none, 1 personal, 2 private, 3 confidential.
pub const SENSITIVITY: u16 = 0x0036;
/// `PidTagSubject` (PtypString): the full subject, prefix included.
pub const SUBJECT: u16 = 0x0037;
/// `PidTagClientSubmitTime` (PtypTime).
pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
/// `PidTagSubjectPrefix` (PtypString).
pub const SUBJECT_PREFIX: u16 = 0x003D;
/// `PidTagSentRepresentingName` (PtypString).
pub const SENT_REPRESENTING_NAME: u16 = 0x0042;
/// `PidTagReplyRecipientEntries` (PtypBinary): a FlatEntryList of one-off entry ids.
pub const REPLY_RECIPIENT_ENTRIES: u16 = 0x004F;
/// `PidTagSentRepresentingAddressType` (PtypString).
pub const SENT_REPRESENTING_ADDRESS_TYPE: u16 = 0x0064;
/// `PidTagSentRepresentingEmailAddress` (PtypString).
pub const SENT_REPRESENTING_EMAIL_ADDRESS: u16 = 0x0065;
/// `PidTagTransportMessageHeaders` (PtypString): the Internet header as received.
pub const TRANSPORT_MESSAGE_HEADERS: u16 = 0x007D;
/// `PidTagSenderName` (PtypString).
pub const SENDER_NAME: u16 = 0x0C1A;
/// `PidTagSenderAddressType` (PtypString).
pub const SENDER_ADDRESS_TYPE: u16 = 0x0C1E;
/// `PidTagSenderEmailAddress` (PtypString).
pub const SENDER_EMAIL_ADDRESS: u16 = 0x0C1F;
/// `PidTagDisplayBcc` (PtypString).
pub const DISPLAY_BCC: u16 = 0x0E02;
/// `PidTagDisplayCc` (PtypString).
pub const DISPLAY_CC: u16 = 0x0E03;
/// `PidTagDisplayTo` (PtypString).
pub const DISPLAY_TO: u16 = 0x0E04;
/// `PidTagMessageDeliveryTime` (PtypTime).
pub const MESSAGE_DELIVERY_TIME: u16 = 0x0E06;
/// `PidTagMessageFlags` (PtypInteger32): the `mf*` bits of `mailshift_pst::messaging::msgflag`.
pub const MESSAGE_FLAGS: u16 = 0x0E07;
/// `PidTagMessageSize` (PtypInteger32).
pub const MESSAGE_SIZE: u16 = 0x0E08;
/// `PidTagNormalizedSubject` (PtypString): the subject without its prefix.
pub const NORMALIZED_SUBJECT: u16 = 0x0E1D;
/// `PidTagConversationTopic` (PtypString).
pub const CONVERSATION_TOPIC: u16 = 0x0070;
/// `PidTagConversationIndex` (PtypBinary): a 22-byte header (0x01, time,
/// GUID) and 5-byte child blocks.
pub const CONVERSATION_INDEX: u16 = 0x0071;
/// `PidTagConversationIndexTracking` (PtypBoolean): the conversation id is
/// the GUID of the conversation index.
pub const CONVERSATION_INDEX_TRACKING: u16 = 0x3016;
/// `PidTagConversationId` (PtypBinary): computed (MS-PST 5.4); in a PST a
/// cell of contents-table rows only.
pub const CONVERSATION_ID: u16 = 0x3013;
/// `PidTagInternetMessageId` (PtypString).
pub const INTERNET_MESSAGE_ID: u16 = 0x1035;
/// `PidTagInternetReferences` (PtypString).
pub const INTERNET_REFERENCES: u16 = 0x1039;
/// `PidTagInReplyToId` (PtypString).
pub const IN_REPLY_TO_ID: u16 = 0x1042;
/// `PidTagIconIndex` (PtypInteger32).
pub const ICON_INDEX: u16 = 0x1080;
/// `PidTagLastVerbExecuted` (PtypInteger32).
pub const LAST_VERB_EXECUTED: u16 = 0x1081;
/// `PidTagFlagStatus` (PtypInteger32): 2 flagged.
pub const FLAG_STATUS: u16 = 0x1090;
/// `PidTagCreationTime` (PtypTime).
pub const CREATION_TIME: u16 = 0x3007;
/// `PidTagSearchKey` (PtypBinary): a message's identity across copies ([MS-OXCPRPT] 2.2.1.9).
pub const SEARCH_KEY: u16 = 0x300B;
/// `PidTagLastModificationTime` (PtypTime).
pub const LAST_MODIFICATION_TIME: u16 = 0x3008;
/// `PidTagInternetCodepage` (PtypInteger32): the code page of PidTagHtml.
pub const INTERNET_CODEPAGE: u16 = 0x3FDE;
/// `PidTagMessageCodepage` (PtypInteger32).
pub const MESSAGE_CODEPAGE: u16 = 0x3FFD;
/// `PidTagSenderSmtpAddress` (PtypString).
pub const SENDER_SMTP_ADDRESS: u16 = 0x5D01;
/// `PidTagSentRepresentingSmtpAddress` (PtypString).
pub const SENT_REPRESENTING_SMTP_ADDRESS: u16 = 0x5D02;

// ------------------------------------ inbound mail (issue 10, MIME -> MAPI)

/// `PidTagPriority` (PtypInteger32): 1 urgent, 0 normal, -1 non-urgent.
pub const PRIORITY: u16 = 0x0026;
/// `PidTagSentRepresentingSearchKey` (PtypBinary).
pub const SENT_REPRESENTING_SEARCH_KEY: u16 = 0x003B;
/// `PidTagSentRepresentingEntryId` (PtypBinary).
pub const SENT_REPRESENTING_ENTRY_ID: u16 = 0x0041;
/// `PidTagReplyRecipientNames` (PtypString): `; `-separated.
pub const REPLY_RECIPIENT_NAMES: u16 = 0x0050;
/// `PidTagSenderEntryId` (PtypBinary).
pub const SENDER_ENTRY_ID: u16 = 0x0C19;
/// `PidTagSenderSearchKey` (PtypBinary).
pub const SENDER_SEARCH_KEY: u16 = 0x0C1D;
/// `PidTagObjectType` (PtypInteger32): 6 MAPI_MAILUSER.
pub const OBJECT_TYPE: u16 = 0x0FFE;
/// `PidTagNativeBody` (PtypInteger32): 1 plain text, 2 RTF, 3 HTML.
pub const NATIVE_BODY: u16 = 0x1016;
/// `PidTagFollowupIcon` (PtypInteger32): 6 the red flag.
pub const FOLLOWUP_ICON: u16 = 0x1095;
/// `PidTagDisplayType` (PtypInteger32): 0 DT_MAILUSER.
pub const DISPLAY_TYPE: u16 = 0x3900;

// --------------------------------------------------------------- body

/// `PidTagBody` (PtypString).
pub const BODY: u16 = 0x1000;
/// `PidTagRtfCompressed` (PtypBinary): see [`super::rtf::decompress`].
pub const RTF_COMPRESSED: u16 = 0x1009;
/// `PidTagHtml` (PtypBinary, or text in some stores).
pub const HTML: u16 = 0x1013;

// --------------------------------------------------- every object, records

/// `PidTagRecordKey` (PtypBinary); on the message store, its identity.
pub const RECORD_KEY: u16 = 0x0FF9;
/// `PidTagEntryId` (PtypBinary).
pub const ENTRY_ID: u16 = 0x0FFF;
/// `PidTagDisplayName` (PtypString): folders, the store, recipients, attachments.
pub const DISPLAY_NAME: u16 = 0x3001;
/// `PidTagLtpRowId` (PtypInteger32): a table row's NID (MS-PST 2.3.4.4).
pub const LTP_ROW_ID: u16 = 0x67F2;
/// `PidTagLtpRowVer` (PtypInteger32): a table row's version (MS-PST 2.3.4.4).
pub const LTP_ROW_VER: u16 = 0x67F3;
/// `PidTagHasAttachments` (PtypBoolean).
pub const HAS_ATTACHMENTS: u16 = 0x0E1B;
/// `PidTagMessageStatus` (PtypInteger32).
pub const MESSAGE_STATUS: u16 = 0x0E17;
/// `PidTagAttachSize` (PtypInteger32): an attachment's size ([MS-OXCMSG] 2.2.2.5).
pub const ATTACH_SIZE: u16 = 0x0E20;
/// `PidTagRenderingPosition` (PtypInteger32): -1 for "not in the body".
pub const RENDERING_POSITION: u16 = 0x370B;
/// `PidTagComment` (PtypString): a folder's description.
pub const COMMENT: u16 = 0x3004;
/// `PidTagContentCount` (PtypInteger32): the messages in a folder.
pub const CONTENT_COUNT: u16 = 0x3602;
/// `PidTagContentUnreadCount` (PtypInteger32): the unread ones.
pub const CONTENT_UNREAD_COUNT: u16 = 0x3603;
/// `PidTagSubfolders` (PtypBoolean): the folder has subfolders.
pub const SUBFOLDERS: u16 = 0x360A;
/// `PidTagAssociatedContentCount` (PtypInteger32): a folder's FAI messages.
pub const ASSOCIATED_CONTENT_COUNT: u16 = 0x3617;
/// `PidTagValidFolderMask` (PtypInteger32): which of the store's folder
/// entry ids are valid ([MS-OXPROPS] 2.1053; MS-PST 2.4.3).
pub const VALID_FOLDER_MASK: u16 = 0x35DF;
/// `PidTagViewsEntryId` (PtypBinary).
pub const VIEWS_ENTRY_ID: u16 = 0x35E5;
/// `PidTagCommonViewsEntryId` (PtypBinary).
pub const COMMON_VIEWS_ENTRY_ID: u16 = 0x35E6;
/// `PidTagReplVersionHistory`-era store property Outlook writes as binary 0x0E34 (MS-PST 2.4.3).
pub const REPLICA_VERSION: u16 = 0x0E34;
/// `PidTagReplFlags` (PtypInteger32): 0 on the message store of a new
/// Outlook store (MS-PST 2.4.4.4.1 lists it among the hierarchy columns).
pub const REPL_FLAGS: u16 = 0x0E38;
/// The one property (PtypInteger32, 0) of the search criteria object of
/// a new store's spam search folder, as Outlook writes it; in the
/// provider range 0x6600-0x67FF, without an [MS-OXPROPS] name (ours).
pub const PST_SEARCH_CRITERIA_STATE: u16 = 0x660B;
/// `PidTagPstPassword` (PtypInteger32): the CRC of the store password, 0 for none (MS-PST 2.4.3.1).
pub const PST_PASSWORD: u16 = 0x67FF;
/// `PidTagPstLrNoRestrictions` (PtypBoolean) on the message store (MS-PST 2.4.3).
pub const PST_LR_NO_RESTRICTIONS: u16 = 0x6633;
/// `PidTagLatestPstEnsure` (PtypInteger32) on the message store (MS-PST 2.4.3).
pub const LATEST_PST_ENSURE: u16 = 0x66FA;
/// `PidTagMessageClass` of a receive-folder row / `PidTagReceiveFolder...`: the folder NID column of the receive folder table (MS-PST 2.4.8).
pub const PST_RECEIVE_FOLDER_NID: u16 = 0x6605;

// --------------------------------------------------------- recipients

/// `PidTagRecipientType` (PtypInteger32): 1 To, 2 Cc, 3 Bcc (MAPI_P1 0x10000000 for resends).
pub const RECIPIENT_TYPE: u16 = 0x0C15;
/// `PidTagAddressType` (PtypString).
pub const ADDRESS_TYPE: u16 = 0x3002;
/// `PidTagEmailAddress` (PtypString).
pub const EMAIL_ADDRESS: u16 = 0x3003;
/// `PidTagSmtpAddress` (PtypString).
pub const SMTP_ADDRESS: u16 = 0x39FE;
/// `PidTagRecipientDisplayName` (PtypString).
pub const RECIPIENT_DISPLAY_NAME: u16 = 0x5FF6;
/// `PidTagRecipientEntryId` (PtypBinary).
pub const RECIPIENT_ENTRY_ID: u16 = 0x5FF7;
/// `PidTagRecipientFlags` (PtypInteger32): 0x2 recipOrganizer.
pub const RECIPIENT_FLAGS: u16 = 0x5FFD;
/// `PidTagRecipientTrackStatus` (PtypInteger32).
pub const RECIPIENT_TRACK_STATUS: u16 = 0x5FFF;

// -------------------------------------------------------- attachments

/// `PidTagAttachDataBinary` (PtypBinary): an attachment's bytes.
pub const ATTACH_DATA_BINARY: u16 = 0x3701;
/// `PidTagAttachDataObject` (PtypObject): an embedded message or OLE
/// storage; the same id as [`ATTACH_DATA_BINARY`], told apart by type.
pub const ATTACH_DATA_OBJECT: u16 = 0x3701;
/// `PidTagAttachExtension` (PtypString).
pub const ATTACH_EXTENSION: u16 = 0x3703;
/// `PidTagAttachFilename` (PtypString): the 8.3 name.
pub const ATTACH_FILENAME: u16 = 0x3704;
/// `PidTagAttachMethod` (PtypInteger32).
pub const ATTACH_METHOD: u16 = 0x3705;
/// `PidTagAttachLongFilename` (PtypString).
pub const ATTACH_LONG_FILENAME: u16 = 0x3707;
/// `PidTagAttachPathname` (PtypString).
pub const ATTACH_PATHNAME: u16 = 0x3708;
/// `PidTagAttachLongPathname` (PtypString).
pub const ATTACH_LONG_PATHNAME: u16 = 0x370D;
/// `PidTagAttachMimeTag` (PtypString).
pub const ATTACH_MIME_TAG: u16 = 0x370E;
/// `PidTagAttachContentId` (PtypString).
pub const ATTACH_CONTENT_ID: u16 = 0x3712;
/// `PidTagAttachContentLocation` (PtypString).
pub const ATTACH_CONTENT_LOCATION: u16 = 0x3713;
/// `PidTagAttachFlags` (PtypInteger32): attRenderedInBody = 4.
pub const ATTACH_FLAGS: u16 = 0x3714;
/// `PidTagExceptionReplaceTime` (PtypTime): on a recurrence exception's
/// attachment, the UTC start of the occurrence it replaces.
pub const EXCEPTION_REPLACE_TIME: u16 = 0x7FF9;
/// `PidTagAttachmentHidden` (PtypBoolean).
pub const ATTACHMENT_HIDDEN: u16 = 0x7FFE;
/// `PidTagAttachmentContactPhoto` (PtypBoolean): the contact's picture.
pub const ATTACHMENT_CONTACT_PHOTO: u16 = 0x7FFF;

// -------------------------------------------------- folders and the store

/// `PidTagContainerClass` (PtypString): `IPF.Note`, `IPF.Contact` ...
pub const CONTAINER_CLASS: u16 = 0x3613;
/// `PidTagIpmSubtreeEntryId` (PtypBinary): the top of the visible tree.
pub const IPM_SUBTREE_ENTRY_ID: u16 = 0x35E0;
/// `PidTagIpmOutboxEntryId` (PtypBinary).
pub const IPM_OUTBOX_ENTRY_ID: u16 = 0x35E2;
/// `PidTagIpmWastebasketEntryId` (PtypBinary): Deleted Items.
pub const IPM_WASTEBASKET_ENTRY_ID: u16 = 0x35E3;
/// `PidTagIpmSentMailEntryId` (PtypBinary).
pub const IPM_SENT_MAIL_ENTRY_ID: u16 = 0x35E4;
/// `PidTagFinderEntryId` (PtypBinary): the search root.
pub const FINDER_ENTRY_ID: u16 = 0x35E7;
/// `PidTagIpmAppointmentEntryId` (PtypBinary).
pub const IPM_APPOINTMENT_ENTRY_ID: u16 = 0x36D0;
/// `PidTagIpmContactEntryId` (PtypBinary).
pub const IPM_CONTACT_ENTRY_ID: u16 = 0x36D1;
/// `PidTagIpmJournalEntryId` (PtypBinary).
pub const IPM_JOURNAL_ENTRY_ID: u16 = 0x36D2;
/// `PidTagIpmNoteEntryId` (PtypBinary).
pub const IPM_NOTE_ENTRY_ID: u16 = 0x36D3;
/// `PidTagIpmTaskEntryId` (PtypBinary).
pub const IPM_TASK_ENTRY_ID: u16 = 0x36D4;
/// `PidTagIpmDraftsEntryId` (PtypBinary).
pub const IPM_DRAFTS_ENTRY_ID: u16 = 0x36D7;
/// `PidTagAdditionalRenEntryIds` (PtypMultipleBinary): Conflicts, Sync
/// Issues, Local Failures, Server Failures, Junk E-mail, in this order.
pub const ADDITIONAL_REN_ENTRY_IDS: u16 = 0x36D8;

// ------------------------------------------------------------- contacts

/// `PidTagCallbackTelephoneNumber` (PtypString).
pub const CALLBACK_TELEPHONE_NUMBER: u16 = 0x3A02;
/// `PidTagGeneration` (PtypString): the name suffix.
pub const GENERATION: u16 = 0x3A05;
/// `PidTagGivenName` (PtypString).
pub const GIVEN_NAME: u16 = 0x3A06;
/// `PidTagBusinessTelephoneNumber` (PtypString).
pub const BUSINESS_TELEPHONE_NUMBER: u16 = 0x3A08;
/// `PidTagHomeTelephoneNumber` (PtypString).
pub const HOME_TELEPHONE_NUMBER: u16 = 0x3A09;
/// `PidTagSurname` (PtypString).
pub const SURNAME: u16 = 0x3A11;
/// `PidTagCompanyName` (PtypString).
pub const COMPANY_NAME: u16 = 0x3A16;
/// `PidTagTitle` (PtypString): the job title.
pub const TITLE: u16 = 0x3A17;
/// `PidTagDepartmentName` (PtypString).
pub const DEPARTMENT_NAME: u16 = 0x3A18;
/// `PidTagPrimaryTelephoneNumber` (PtypString).
pub const PRIMARY_TELEPHONE_NUMBER: u16 = 0x3A1A;
/// `PidTagBusiness2TelephoneNumber` (PtypString).
pub const BUSINESS2_TELEPHONE_NUMBER: u16 = 0x3A1B;
/// `PidTagMobileTelephoneNumber` (PtypString).
pub const MOBILE_TELEPHONE_NUMBER: u16 = 0x3A1C;
/// `PidTagRadioTelephoneNumber` (PtypString).
pub const RADIO_TELEPHONE_NUMBER: u16 = 0x3A1D;
/// `PidTagCarTelephoneNumber` (PtypString).
pub const CAR_TELEPHONE_NUMBER: u16 = 0x3A1E;
/// `PidTagOtherTelephoneNumber` (PtypString).
pub const OTHER_TELEPHONE_NUMBER: u16 = 0x3A1F;
/// `PidTagPagerTelephoneNumber` (PtypString).
pub const PAGER_TELEPHONE_NUMBER: u16 = 0x3A21;
/// `PidTagPrimaryFaxNumber` (PtypString).
pub const PRIMARY_FAX_NUMBER: u16 = 0x3A23;
/// `PidTagBusinessFaxNumber` (PtypString).
pub const BUSINESS_FAX_NUMBER: u16 = 0x3A24;
/// `PidTagHomeFaxNumber` (PtypString).
pub const HOME_FAX_NUMBER: u16 = 0x3A25;
/// `PidTagCountry` (PtypString): of the mailing address.
pub const COUNTRY: u16 = 0x3A26;
/// `PidTagLocality` (PtypString): the mailing address's city.
pub const LOCALITY: u16 = 0x3A27;
/// `PidTagStateOrProvince` (PtypString): of the mailing address.
pub const STATE_OR_PROVINCE: u16 = 0x3A28;
/// `PidTagStreetAddress` (PtypString): of the mailing address.
pub const STREET_ADDRESS: u16 = 0x3A29;
/// `PidTagPostalCode` (PtypString): of the mailing address.
pub const POSTAL_CODE: u16 = 0x3A2A;
/// `PidTagTelexNumber` (PtypString).
pub const TELEX_NUMBER: u16 = 0x3A2C;
/// `PidTagIsdnNumber` (PtypString).
pub const ISDN_NUMBER: u16 = 0x3A2D;
/// `PidTagAssistantTelephoneNumber` (PtypString).
pub const ASSISTANT_TELEPHONE_NUMBER: u16 = 0x3A2E;
/// `PidTagHome2TelephoneNumber` (PtypString).
pub const HOME2_TELEPHONE_NUMBER: u16 = 0x3A2F;
/// `PidTagWeddingAnniversary` (PtypTime).
pub const WEDDING_ANNIVERSARY: u16 = 0x3A41;
/// `PidTagBirthday` (PtypTime).
pub const BIRTHDAY: u16 = 0x3A42;
/// `PidTagMiddleName` (PtypString).
pub const MIDDLE_NAME: u16 = 0x3A44;
/// `PidTagDisplayNamePrefix` (PtypString): the name prefix ("Dr.").
pub const DISPLAY_NAME_PREFIX: u16 = 0x3A45;
/// `PidTagTtyTddPhoneNumber` (PtypString).
pub const TTY_TDD_PHONE_NUMBER: u16 = 0x3A4B;
/// `PidTagNickname` (PtypString).
pub const NICKNAME: u16 = 0x3A4F;
/// `PidTagPersonalHomePage` (PtypString).
pub const PERSONAL_HOME_PAGE: u16 = 0x3A50;
/// `PidTagBusinessHomePage` (PtypString).
pub const BUSINESS_HOME_PAGE: u16 = 0x3A51;
/// `PidTagCompanyMainTelephoneNumber` (PtypString).
pub const COMPANY_MAIN_TELEPHONE_NUMBER: u16 = 0x3A57;
/// `PidTagHomeAddressCity` (PtypString).
pub const HOME_ADDRESS_CITY: u16 = 0x3A59;
/// `PidTagHomeAddressCountry` (PtypString).
pub const HOME_ADDRESS_COUNTRY: u16 = 0x3A5A;
/// `PidTagHomeAddressPostalCode` (PtypString).
pub const HOME_ADDRESS_POSTAL_CODE: u16 = 0x3A5B;
/// `PidTagHomeAddressStateOrProvince` (PtypString).
pub const HOME_ADDRESS_STATE_OR_PROVINCE: u16 = 0x3A5C;
/// `PidTagHomeAddressStreet` (PtypString).
pub const HOME_ADDRESS_STREET: u16 = 0x3A5D;
/// `PidTagOtherAddressCity` (PtypString).
pub const OTHER_ADDRESS_CITY: u16 = 0x3A5F;
/// `PidTagOtherAddressCountry` (PtypString).
pub const OTHER_ADDRESS_COUNTRY: u16 = 0x3A60;
/// `PidTagOtherAddressPostalCode` (PtypString).
pub const OTHER_ADDRESS_POSTAL_CODE: u16 = 0x3A61;
/// `PidTagOtherAddressStateOrProvince` (PtypString).
pub const OTHER_ADDRESS_STATE_OR_PROVINCE: u16 = 0x3A62;
/// `PidTagOtherAddressStreet` (PtypString).
pub const OTHER_ADDRESS_STREET: u16 = 0x3A63;

// ------------------------------------- MS-PST only: the name-to-id map

/// `PidTagNameidBucketCount` (MS-PST 2.4.7.1, PtypInteger32).
pub const NAMEID_BUCKET_COUNT: u16 = 0x0001;
/// `PidTagNameidStreamGuid` (MS-PST 2.4.7.2, PtypBinary): the GUIDs, 16 bytes each.
pub const NAMEID_STREAM_GUID: u16 = 0x0002;
/// `PidTagNameidStreamEntry` (MS-PST 2.4.7.3, PtypBinary): the `NAMEID` records, 8 bytes each.
pub const NAMEID_STREAM_ENTRY: u16 = 0x0003;
/// `PidTagNameidStreamString` (MS-PST 2.4.7.4, PtypBinary): the names, each a
/// 4-byte length and UTF-16LE.
pub const NAMEID_STREAM_STRING: u16 = 0x0004;

/// Named properties with a numeric name (`PidLid*`), as property set and LID.
pub mod lid {
    use super::{address, appointment, common, log, meeting, task, Lid};

    // ---------------------------------------------------- PSETID_Common

    /// `PidLidReminderDelta` (PSETID_Common 0x8501, PtypInteger32): minutes.
    pub const REMINDER_DELTA: Lid = common(0x8501);
    /// `PidLidReminderSet` (PSETID_Common 0x8503, PtypBoolean).
    pub const REMINDER_SET: Lid = common(0x8503);

    // --------------------------------------------------- PSETID_Address

    /// `PidLidFileUnder` (PSETID_Address 0x8005, PtypString).
    pub const FILE_UNDER: Lid = address(0x8005);
    /// `PidLidHomeAddress` (PSETID_Address 0x801A, PtypString): the whole address as one text.
    pub const HOME_ADDRESS: Lid = address(0x801A);
    /// `PidLidWorkAddress` (PSETID_Address 0x801B, PtypString).
    pub const WORK_ADDRESS: Lid = address(0x801B);
    /// `PidLidOtherAddress` (PSETID_Address 0x801C, PtypString).
    pub const OTHER_ADDRESS: Lid = address(0x801C);
    /// `PidLidPostalAddressId` (PSETID_Address 0x8022, PtypInteger32): 1 home,
    /// 2 work, 3 other is the mailing address.
    pub const POSTAL_ADDRESS_ID: Lid = address(0x8022);
    /// `PidLidHtml` (PSETID_Address 0x802B, PtypString): the business home page.
    pub const HTML: Lid = address(0x802B);
    /// `PidLidWorkAddressStreet` (PSETID_Address 0x8045, PtypString).
    pub const WORK_ADDRESS_STREET: Lid = address(0x8045);
    /// `PidLidWorkAddressCity` (PSETID_Address 0x8046, PtypString).
    pub const WORK_ADDRESS_CITY: Lid = address(0x8046);
    /// `PidLidWorkAddressState` (PSETID_Address 0x8047, PtypString).
    pub const WORK_ADDRESS_STATE: Lid = address(0x8047);
    /// `PidLidWorkAddressPostalCode` (PSETID_Address 0x8048, PtypString).
    pub const WORK_ADDRESS_POSTAL_CODE: Lid = address(0x8048);
    /// `PidLidWorkAddressCountry` (PSETID_Address 0x8049, PtypString).
    pub const WORK_ADDRESS_COUNTRY: Lid = address(0x8049);
    /// `PidLidDistributionListChecksum` (PSETID_Address 0x804C, PtypInteger32):
    /// the CRC-32 of the PidLidDistributionListMembers values ([MS-OXOCNTC] 2.2.2.2.3).
    pub const DISTRIBUTION_LIST_CHECKSUM: Lid = address(0x804C);
    /// `PidLidDistributionListName` (PSETID_Address 0x8053, PtypString).
    pub const DISTRIBUTION_LIST_NAME: Lid = address(0x8053);
    /// `PidLidDistributionListOneOffMembers` (PSETID_Address 0x8054, PtypMultipleBinary).
    pub const DISTRIBUTION_LIST_ONE_OFF_MEMBERS: Lid = address(0x8054);
    /// `PidLidDistributionListMembers` (PSETID_Address 0x8055, PtypMultipleBinary).
    pub const DISTRIBUTION_LIST_MEMBERS: Lid = address(0x8055);
    /// `PidLidInstantMessagingAddress` (PSETID_Address 0x8062, PtypString).
    pub const INSTANT_MESSAGING_ADDRESS: Lid = address(0x8062);
    /// `PidLidEmail1DisplayName` (PSETID_Address 0x8080, PtypString).
    pub const EMAIL1_DISPLAY_NAME: Lid = address(0x8080);
    /// `PidLidEmail1AddressType` (PSETID_Address 0x8082, PtypString).
    pub const EMAIL1_ADDRESS_TYPE: Lid = address(0x8082);
    /// `PidLidEmail1EmailAddress` (PSETID_Address 0x8083, PtypString).
    pub const EMAIL1_EMAIL_ADDRESS: Lid = address(0x8083);
    /// `PidLidEmail1OriginalDisplayName` (PSETID_Address 0x8084, PtypString).
    pub const EMAIL1_ORIGINAL_DISPLAY_NAME: Lid = address(0x8084);
    /// `PidLidEmail1OriginalEntryId` (PSETID_Address 0x8085, PtypBinary).
    pub const EMAIL1_ORIGINAL_ENTRY_ID: Lid = address(0x8085);
    /// `PidLidEmail2DisplayName` (PSETID_Address 0x8090, PtypString).
    pub const EMAIL2_DISPLAY_NAME: Lid = address(0x8090);
    /// `PidLidEmail2AddressType` (PSETID_Address 0x8092, PtypString).
    pub const EMAIL2_ADDRESS_TYPE: Lid = address(0x8092);
    /// `PidLidEmail2EmailAddress` (PSETID_Address 0x8093, PtypString).
    pub const EMAIL2_EMAIL_ADDRESS: Lid = address(0x8093);
    /// `PidLidEmail2OriginalDisplayName` (PSETID_Address 0x8094, PtypString).
    pub const EMAIL2_ORIGINAL_DISPLAY_NAME: Lid = address(0x8094);
    /// `PidLidEmail2OriginalEntryId` (PSETID_Address 0x8095, PtypBinary).
    pub const EMAIL2_ORIGINAL_ENTRY_ID: Lid = address(0x8095);
    /// `PidLidEmail3DisplayName` (PSETID_Address 0x80A0, PtypString).
    pub const EMAIL3_DISPLAY_NAME: Lid = address(0x80A0);
    /// `PidLidEmail3AddressType` (PSETID_Address 0x80A2, PtypString).
    pub const EMAIL3_ADDRESS_TYPE: Lid = address(0x80A2);
    /// `PidLidEmail3EmailAddress` (PSETID_Address 0x80A3, PtypString).
    pub const EMAIL3_EMAIL_ADDRESS: Lid = address(0x80A3);
    /// `PidLidEmail3OriginalDisplayName` (PSETID_Address 0x80A4, PtypString).
    pub const EMAIL3_ORIGINAL_DISPLAY_NAME: Lid = address(0x80A4);
    /// `PidLidEmail3OriginalEntryId` (PSETID_Address 0x80A5, PtypBinary).
    pub const EMAIL3_ORIGINAL_ENTRY_ID: Lid = address(0x80A5);
    /// `PidLidBirthdayLocal` (PSETID_Address 0x80DE, PtypTime): 00:00 UTC of the day.
    pub const BIRTHDAY_LOCAL: Lid = address(0x80DE);
    /// `PidLidWeddingAnniversaryLocal` (PSETID_Address 0x80DF, PtypTime).
    pub const WEDDING_ANNIVERSARY_LOCAL: Lid = address(0x80DF);

    // ----------------------------------------------- PSETID_Appointment

    /// `PidLidAppointmentSequence` (PSETID_Appointment 0x8201, PtypInteger32).
    pub const APPOINTMENT_SEQUENCE: Lid = appointment(0x8201);
    /// `PidLidBusyStatus` (PSETID_Appointment 0x8205, PtypInteger32): 0 free ... 4 working elsewhere.
    pub const BUSY_STATUS: Lid = appointment(0x8205);
    /// `PidLidLocation` (PSETID_Appointment 0x8208, PtypString).
    pub const LOCATION: Lid = appointment(0x8208);
    /// `PidLidAppointmentStartWhole` (PSETID_Appointment 0x820D, PtypTime): UTC.
    pub const APPOINTMENT_START_WHOLE: Lid = appointment(0x820D);
    /// `PidLidAppointmentEndWhole` (PSETID_Appointment 0x820E, PtypTime): UTC.
    pub const APPOINTMENT_END_WHOLE: Lid = appointment(0x820E);
    /// `PidLidAppointmentSubType` (PSETID_Appointment 0x8215, PtypBoolean): all-day.
    pub const APPOINTMENT_SUB_TYPE: Lid = appointment(0x8215);
    /// `PidLidAppointmentRecur` (PSETID_Appointment 0x8216, PtypBinary): see `mailshift_pst::pim::recur`.
    pub const APPOINTMENT_RECUR: Lid = appointment(0x8216);
    /// `PidLidAppointmentStateFlags` (PSETID_Appointment 0x8217, PtypInteger32): bit 0x1 asfMeeting.
    pub const APPOINTMENT_STATE_FLAGS: Lid = appointment(0x8217);
    /// `PidLidRecurring` (PSETID_Appointment 0x8223, PtypBoolean).
    pub const RECURRING: Lid = appointment(0x8223);
    /// `PidLidExceptionReplaceTime` (PSETID_Appointment 0x8228, PtypTime): on
    /// an exception's embedded message, the UTC start of the occurrence it replaces.
    pub const EXCEPTION_REPLACE_TIME: Lid = appointment(0x8228);
    /// `PidLidRecurrencePattern` (PSETID_Appointment 0x8232, PtypString): the
    /// recurrence as Outlook describes it.
    pub const RECURRENCE_PATTERN: Lid = appointment(0x8232);
    /// `PidLidTimeZoneStruct` (PSETID_Appointment 0x8233, PtypBinary).
    pub const TIME_ZONE_STRUCT: Lid = appointment(0x8233);
    /// `PidLidTimeZoneDescription` (PSETID_Appointment 0x8234, PtypString).
    pub const TIME_ZONE_DESCRIPTION: Lid = appointment(0x8234);
    /// `PidLidAppointmentTimeZoneDefinitionStartDisplay` (PSETID_Appointment 0x825E, PtypBinary).
    pub const APPOINTMENT_TIME_ZONE_DEFINITION_START_DISPLAY: Lid = appointment(0x825E);
    /// `PidLidAppointmentTimeZoneDefinitionEndDisplay` (PSETID_Appointment 0x825F, PtypBinary).
    pub const APPOINTMENT_TIME_ZONE_DEFINITION_END_DISPLAY: Lid = appointment(0x825F);
    /// `PidLidAppointmentTimeZoneDefinitionRecur` (PSETID_Appointment 0x8260, PtypBinary).
    pub const APPOINTMENT_TIME_ZONE_DEFINITION_RECUR: Lid = appointment(0x8260);

    // ---------------------------------------------------- PSETID_Meeting

    /// `PidLidGlobalObjectId` (PSETID_Meeting 0x0003, PtypBinary).
    pub const GLOBAL_OBJECT_ID: Lid = meeting(0x0003);
    /// `PidLidCleanGlobalObjectId` (PSETID_Meeting 0x0023, PtypBinary).
    pub const CLEAN_GLOBAL_OBJECT_ID: Lid = meeting(0x0023);

    // ------------------------------------------------------- PSETID_Task

    /// `PidLidTaskStatus` (PSETID_Task 0x8101, PtypInteger32).
    pub const TASK_STATUS: Lid = task(0x8101);
    /// `PidLidPercentComplete` (PSETID_Task 0x8102, PtypFloating64): 0.0-1.0.
    pub const PERCENT_COMPLETE: Lid = task(0x8102);
    /// `PidLidTaskStartDate` (PSETID_Task 0x8104, PtypTime): local midnight.
    pub const TASK_START_DATE: Lid = task(0x8104);
    /// `PidLidTaskDueDate` (PSETID_Task 0x8105, PtypTime): local midnight.
    pub const TASK_DUE_DATE: Lid = task(0x8105);
    /// `PidLidTaskDateCompleted` (PSETID_Task 0x810F, PtypTime).
    pub const TASK_DATE_COMPLETED: Lid = task(0x810F);
    /// `PidLidTaskRecurrence` (PSETID_Task 0x8116, PtypBinary): see `mailshift_pst::pim::recur`.
    pub const TASK_RECURRENCE: Lid = task(0x8116);
    /// `PidLidTaskComplete` (PSETID_Task 0x811C, PtypBoolean).
    pub const TASK_COMPLETE: Lid = task(0x811C);
    /// `PidLidTaskFRecurring` (PSETID_Task 0x8126, PtypBoolean).
    pub const TASK_F_RECURRING: Lid = task(0x8126);

    // -------------------------------------------------------- PSETID_Log

    /// `PidLidLogType` (PSETID_Log 0x8700, PtypString): "Phone call" ...
    pub const LOG_TYPE: Lid = log(0x8700);
    /// `PidLidLogStart` (PSETID_Log 0x8706, PtypTime): UTC.
    pub const LOG_START: Lid = log(0x8706);
    /// `PidLidLogTypeDesc` (PSETID_Log 0x8712, PtypString): the type's display text.
    pub const LOG_TYPE_DESC: Lid = log(0x8712);

    // ---- PIM items written from the neutral model (issue 10, mapi::pim::write)

    /// `PidLidReminderTime` (PSETID_Common 0x8502, PtypTime): the start the reminder is for.
    pub const REMINDER_TIME: Lid = common(0x8502);
    /// `PidLidReminderSignalTime` (PSETID_Common 0x8560, PtypTime): when the reminder fires.
    pub const REMINDER_SIGNAL_TIME: Lid = common(0x8560);
    /// `PidLidCommonStart` (PSETID_Common 0x8516, PtypTime): UTC.
    pub const COMMON_START: Lid = common(0x8516);
    /// `PidLidCommonEnd` (PSETID_Common 0x8517, PtypTime): UTC.
    pub const COMMON_END: Lid = common(0x8517);
    /// `PidLidHasPicture` (PSETID_Address 0x8015, PtypBoolean).
    pub const HAS_PICTURE: Lid = address(0x8015);
    /// `PidLidAddressBookProviderEmailList` (PSETID_Address 0x8028, PtypMultipleInteger32).
    pub const ADDRESS_BOOK_PROVIDER_EMAIL_LIST: Lid = address(0x8028);
    /// `PidLidAddressBookProviderArrayType` (PSETID_Address 0x8029, PtypInteger32).
    pub const ADDRESS_BOOK_PROVIDER_ARRAY_TYPE: Lid = address(0x8029);
    /// `PidLidAppointmentDuration` (PSETID_Appointment 0x8213, PtypInteger32): minutes.
    pub const APPOINTMENT_DURATION: Lid = appointment(0x8213);
    /// `PidLidClipStart` (PSETID_Appointment 0x8235, PtypTime).
    pub const CLIP_START: Lid = appointment(0x8235);
    /// `PidLidClipEnd` (PSETID_Appointment 0x8236, PtypTime).
    pub const CLIP_END: Lid = appointment(0x8236);
    /// `PidLidExceptionalBody` (PSETID_Appointment 0x8206, PtypBoolean).
    pub const FEXCEPTIONAL_BODY: Lid = appointment(0x8206);
    /// `PidLidNoteColor` (PSETID_Note 0x8B00, PtypInteger32): 3 yellow.
    pub const NOTE_COLOR: Lid = super::note(0x8B00);
    /// `PidLidNoteWidth` (PSETID_Note 0x8B02, PtypInteger32): pixels.
    pub const NOTE_WIDTH: Lid = super::note(0x8B02);
    /// `PidLidNoteHeight` (PSETID_Note 0x8B03, PtypInteger32): pixels.
    pub const NOTE_HEIGHT: Lid = super::note(0x8B03);
    /// `PidLidTaskState` (PSETID_Task 0x8113, PtypInteger32): 1 not assigned.
    pub const TASK_STATE: Lid = task(0x8113);
    /// `PidLidTaskOwnership` (PSETID_Task 0x8129, PtypInteger32): 0 not assigned.
    pub const TASK_OWNERSHIP: Lid = task(0x8129);
    /// `PidLidTaskAcceptanceState` (PSETID_Task 0x812A, PtypInteger32): 0 not assigned.
    pub const TASK_ACCEPTANCE_STATE: Lid = task(0x812A);
    /// `PidLidTaskMode` (PSETID_Common 0x8518, PtypInteger32): 0 not assigned.
    pub const TASK_MODE: Lid = common(0x8518);
    /// `PidLidFileUnderId` (PSETID_Address 0x8006, PtypInteger32): 0, FileUnder as given.
    pub const FILE_UNDER_ID: Lid = address(0x8006);
    /// `PidLidLogDuration` (PSETID_Log 0x8707, PtypInteger32): minutes.
    pub const LOG_DURATION: Lid = log(0x8707);
    /// `PidLidLogEnd` (PSETID_Log 0x8708, PtypTime): UTC.
    pub const LOG_END: Lid = log(0x8708);
    // ---- end of the block of mapi::pim::write
}

/// Named properties with a string name (`PidName*`), as property set and name.
pub mod name {
    use super::{Name, PS_PUBLIC_STRINGS};

    /// `PidNameKeywords` (PS_PUBLIC_STRINGS "Keywords", PtypMultipleString): the categories.
    pub const KEYWORDS: Name = Name { set: PS_PUBLIC_STRINGS, name: "Keywords" };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapi::NamedId;

    /// No id is in the registry twice under two names (but for the one
    /// that MS-OXPROPS itself names twice), nor a LID twice in one set.
    #[test]
    fn registry_names_each_id_once() {
        let src = include_str!("tags.rs");
        let mut seen: Vec<(String, String)> = Vec::new();
        for line in src.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("pub const ") else { continue };
            let Some((name, value)) = rest.split_once(" = ") else { continue };
            let (name, ty) = name.split_once(": ").expect("typed const");
            let key = match ty {
                "u16" => format!("tag {value}"),
                "Lid" => format!("lid {value}"),
                _ => continue,
            };
            if let Some((other, _)) = seen.iter().find(|(_, k)| *k == key) {
                assert!(
                    [other.as_str(), name] == ["ATTACH_DATA_BINARY", "ATTACH_DATA_OBJECT"],
                    "{name} and {other} are both {key}"
                );
            }
            seen.push((name.to_string(), key));
        }
        assert!(seen.len() > 150, "{} constants parsed", seen.len());
        assert_eq!(ATTACH_DATA_BINARY, ATTACH_DATA_OBJECT);
        assert_eq!(NamedId::from(lid::LOCATION), NamedId::Lid(PSETID_APPOINTMENT, 0x8208));
        assert_eq!(NamedId::from(name::KEYWORDS), NamedId::Name(PS_PUBLIC_STRINGS, "Keywords".into()));
    }
}
