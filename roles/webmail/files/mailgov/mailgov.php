<?php

/**
 * mailgov: what the mail server's directory asks of webmail users.
 *
 * - A user whose password an administrator set (a new account, a reset: pwdReset in the
 *   directory) or whose password has expired is sent to the password screen after logging
 *   in, and stays there until the directory takes a new password.
 * - Each IMAP login names the person's own address (IMAP ID x-originating-ip), which Dovecot
 *   trusts from webmail: its logs, its penalty and fail2ban then see the person's address, so
 *   one attacker behind webmail cannot get webmail's own address banned.
 * - The password driver (drivers/mailgov.php of the password plugin) uses its texts to
 *   explain, in the user's language, why the directory refused a password.
 *
 * @license GPL-3.0-or-later
 */
class mailgov extends rcube_plugin
{
    public $task = '.*';

    // Where a user who must change the password may still go.
    private const ALLOWED = [
        'settings' => ['plugin.password', 'plugin.password-save'],
        'logout' => null,
        'login' => null,
        'utils' => null,
    ];

    /** The password rules of the user's domain: a hosted domain's own, else the mail domain's. */
    public static function password_rules($rcmail)
    {
        $user = (string) $rcmail->get_user_name();
        $domain = strtolower(substr((string) strrchr($user, '@'), 1));
        $hosted = $rcmail->config->get('mailgov_domain_password_rules', []);
        return $hosted[$domain] ?? $rcmail->config->get('mailgov_password_rules', []);
    }

    function init()
    {
        $this->add_texts('localization/');
        $this->add_hook('storage_connect', [$this, 'storage_connect']);
        $this->add_hook('login_after', [$this, 'login_after']);
        $this->add_hook('startup', [$this, 'startup']);
        $this->add_hook('password_change', [$this, 'password_change']);
        $this->add_hook('render_page', [$this, 'render_page']);
    }

    /** Pass the client's address on to Dovecot with the IMAP ID command sent before the login. */
    function storage_connect($args)
    {
        $client = ['x-originating-ip' => (string) ($_SERVER['REMOTE_ADDR'] ?? '')];
        $args['preauth_ident'] = array_merge($args['preauth_ident'] ?? [], $client);
        return $args;
    }

    /** After a successful login, ask the directory whether the password must change. */
    function login_after($args)
    {
        $rcmail = rcmail::get_instance();
        $reason = self::change_reason($rcmail, $rcmail->get_user_name());
        if ($reason === null) {
            rcmail::get_instance()->session->remove('mailgov_must_change');
            return $args;
        }
        $_SESSION['mailgov_must_change'] = $reason;
        rcube::write_log('userlogins', sprintf('%s must change the password (%s)', $rcmail->get_user_name(), $reason));
        return ['_task' => 'settings', '_action' => 'plugin.password'];
    }

    /** Keep a user who must change the password on the password screen. */
    function startup($args)
    {
        if (empty($_SESSION['mailgov_must_change']) || empty($_SESSION['user_id'])) {
            return $args;
        }
        $allowed = self::ALLOWED[$args['task']] ?? false;
        if ($allowed === null || ($allowed && in_array($args['action'], $allowed, true))
            || in_array($args['action'], ['keep-alive', 'refresh'], true)
        ) {
            return $args;
        }
        rcmail::get_instance()->output->redirect(['_task' => 'settings', '_action' => 'plugin.password']);
        return $args;
    }

    /** The directory took the new password: the user is free again. */
    function password_change($args)
    {
        rcmail::get_instance()->session->remove('mailgov_must_change');
        return $args;
    }

    /** On the password screen, say why the change is required. */
    function render_page($args)
    {
        $rcmail = rcmail::get_instance();
        $reason = $_SESSION['mailgov_must_change'] ?? null;
        if ($reason && $rcmail->task == 'settings' && strpos($rcmail->action, 'plugin.password') === 0) {
            $rcmail->output->show_message('mailgov.mustchange_' . $reason, 'warning', null, true, 600);
        }
        return $args;
    }

    /**
     * 'reset' when an administrator set the password (pwdReset), 'expired' when it is older
     * than the policy allows (or a grace login was used), otherwise null. A delegate's login
     * to a unit mailbox (unit*person) is not the person's own session: not checked.
     */
    public static function change_reason($rcmail, $username)
    {
        if ($username === '' || strpos($username, '*') !== false) {
            return null;
        }
        $entry = self::find_entry($rcmail, $username, ['pwdReset', 'pwdChangedTime', 'pwdGraceUseTime']);
        if (!$entry) {
            return null;
        }
        if (strtoupper($entry['pwdreset'][0] ?? '') === 'TRUE') {
            return 'reset';
        }
        if (!empty($entry['pwdgraceusetime'])) {
            return 'expired';
        }
        $rules = self::password_rules($rcmail);
        $max_age = (int) ($rules['max_age_days'] ?? 0);
        $changed = $entry['pwdchangedtime'][0] ?? null;
        if ($max_age > 0 && $changed) {
            $time = DateTime::createFromFormat('YmdHis\Z', substr($changed, 0, 14) . 'Z', new DateTimeZone('UTC'));
            if ($time && $time->getTimestamp() + $max_age * 86400 <= time()) {
                return 'expired';
            }
        }
        return null;
    }

    /** The directory entry of a mail address, read with the webmail service account. */
    public static function find_entry($rcmail, $address, $attrs)
    {
        $conn = self::connect($rcmail);
        if (!$conn) {
            return null;
        }
        $filter = sprintf('(&(objectClass=mailAccount)(mail=%s))', ldap_escape($address, '', LDAP_ESCAPE_FILTER));
        $result = @ldap_search($conn, $rcmail->config->get('mailgov_ldap_base'), $filter, $attrs, 0, 2);
        $entries = $result ? ldap_get_entries($conn, $result) : ['count' => 0];
        ldap_unbind($conn);
        if ($entries['count'] != 1) {
            return null;
        }
        return $entries[0];
    }

    /** A connection to the directory with StartTLS, bound as the webmail service account. */
    public static function connect($rcmail, $bind = true)
    {
        $conn = ldap_connect($rcmail->config->get('mailgov_ldap_uri'));
        if (!$conn) {
            return null;
        }
        ldap_set_option($conn, LDAP_OPT_PROTOCOL_VERSION, 3);
        ldap_set_option($conn, LDAP_OPT_REFERRALS, 0);
        ldap_set_option($conn, LDAP_OPT_NETWORK_TIMEOUT, 10);
        if (!@ldap_start_tls($conn)) {
            rcube::raise_error(['code' => 600, 'type' => 'ldap', 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'mailgov: StartTLS to the directory failed: ' . ldap_error($conn)], true, false);
            return null;
        }
        if ($bind && !@ldap_bind($conn, $rcmail->config->get('mailgov_ldap_bind_dn'), $rcmail->config->get('mailgov_ldap_bind_pass'))) {
            rcube::raise_error(['code' => 600, 'type' => 'ldap', 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'mailgov: the webmail service account cannot bind: ' . ldap_error($conn)], true, false);
            return null;
        }
        return $conn;
    }
}
