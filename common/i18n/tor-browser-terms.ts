// Tor Browser's own words for what the guide and the start page tell a source to find in it, in
// one table per Tor Browser interface language. A source looks for exactly these words in the
// shield panel and the settings, so every catalog quotes them from here, each inside <bdi> (in a
// right-to-left page a quoted label such as "Request bridges…" keeps its order), and
// tests/unit/i18n/tor-browser-terms.test.ts fails when a catalog uses any other word.
//
// Sources (see docs/translations.md): English from Tor Browser 14/15's en-US base-browser.ftl and
// tor-browser.ftl; Chinese from Tor Browser's zh-CN and zh-TW base-browser.ftl where stored copies
// were found. UNVERIFIED lists the Chinese words no copy of Tor Browser's localisation confirmed.

export type TorBrowserTerm =
  | 'securityLevel' // the settings section and the toolbar button's name
  | 'standard'
  | 'safer'
  | 'safest'
  | 'settingsButton' // the shield panel's button that opens the security level settings
  | 'settings' // the browser's settings page (from the menu)
  | 'connection' // its section for the Tor connection
  | 'bridges' // the heading inside Connection
  | 'builtInBridge' // the button that offers Snowflake, meek and obfs4
  | 'requestBridges' // the button that asks the Tor Project's bridge bot
  | 'connectionAssist'
  | 'newIdentity'; // the application menu's item

/** A language of Tor Browser's interface whose words a page quotes. */
export type TorBrowserUi = 'en' | 'zh-Hans' | 'zh-Hant';

export const TOR_BROWSER_TERMS: Record<TorBrowserUi, Record<TorBrowserTerm, string>> = {
  en: {
    securityLevel: 'Security Level',
    standard: 'Standard',
    safer: 'Safer',
    safest: 'Safest',
    settingsButton: 'Settings…',
    settings: 'Settings',
    connection: 'Connection',
    bridges: 'Bridges',
    builtInBridge: 'Select a built-in bridge…',
    requestBridges: 'Request bridges…',
    connectionAssist: 'Connection Assist',
    newIdentity: 'New identity',
  },
  'zh-Hans': {
    securityLevel: '安全级别',
    standard: '标准',
    safer: '较安全',
    safest: '最安全',
    settingsButton: '设置…',
    settings: '设置',
    connection: '连接',
    bridges: '网桥',
    builtInBridge: '选择内置网桥…',
    requestBridges: '请求网桥…',
    connectionAssist: '连接助手',
    newIdentity: '新建身份',
  },
  'zh-Hant': {
    securityLevel: '安全性等級',
    standard: '標準',
    safer: '較安全',
    safest: '最安全',
    settingsButton: '偏好設定…',
    settings: '設定',
    connection: '連線',
    bridges: '橋接',
    builtInBridge: '選擇內建橋接…',
    requestBridges: '請求橋接…',
    connectionAssist: '連線助理',
    newIdentity: '新識別身份',
  },
};

/** Words no stored copy of Tor Browser's localisation confirmed: a native reviewer checks them in a current Tor Browser. */
export const UNVERIFIED: Partial<Record<TorBrowserUi, readonly TorBrowserTerm[]>> = {
  'zh-Hans': ['connection', 'bridges', 'builtInBridge', 'requestBridges', 'connectionAssist'],
  'zh-Hant': ['settings', 'connection', 'bridges', 'builtInBridge', 'requestBridges', 'connectionAssist'],
};

/**
 * Which interface's words each page language quotes. Tor Browser has no Uyghur interface: a Uyghur
 * reader sees it in English (what it falls back to) or, on a phone or PC from China, in Chinese.
 * So Uyghur pages quote the English words, in Latin letters, beside a Uyghur gloss, and the guide
 * also gives the Chinese word for Safest (the same in both Chinese interfaces).
 */
export const QUOTES: Record<string, { ui: TorBrowserUi; safestAlso?: readonly TorBrowserUi[] }> = {
  en: { ui: 'en' },
  'zh-Hans': { ui: 'zh-Hans' },
  'zh-Hant': { ui: 'zh-Hant' },
  ug: { ui: 'en', safestAlso: ['zh-Hans', 'zh-Hant'] },
};
