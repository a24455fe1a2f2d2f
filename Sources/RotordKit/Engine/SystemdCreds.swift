import Glibc
import RotordCore
import Subprocess
import SystemPackage

/// ``CredentialCipher`` on `systemd-creds` (systemd ≥ 250): `systemd-creds encrypt --name=NAME - -` and
/// `systemd-creds decrypt --name=NAME - -`, the plaintext written to the program's standard input (a pipe) and the
/// result read from its standard output: never in its arguments, its environment or a temporary file.
///
/// `--with-key` is systemd's default, `auto`: the host key `/var/lib/systemd/credential.secret` (created on first
/// use; root only), sealed to the TPM2 too where one is present. A file encrypted so decrypts on this host only.
/// Each run is killed after ``Timing/credentialCipher``.
package struct SystemdCreds: CredentialCipher {
    /// Where systemd installs the tool.
    package static let defaultProgram = "/usr/bin/systemd-creds"

    /// The most output kept from one run: a credential of a few hundred bytes encrypts to well under this.
    static let outputLimit = 1 << 20
    /// The most of the program's standard error an error message quotes.
    static let messageLimit = 400

    /// The program run.
    package var program: String
    /// The environment of each run (empty unless set: a test points `SYSTEMD_CREDENTIAL_SECRET` at a key of its own).
    package var environment: [String: String]
    /// How long one run may take.
    package var timeout: Duration

    /// Creates the cipher.
    package init(
        program: String = SystemdCreds.defaultProgram, environment: [String: String] = [:],
        timeout: Duration = Timing.credentialCipher
    ) {
        self.program = program
        self.environment = environment
        self.timeout = timeout
    }

    /// Why `format: credstore-encrypted` cannot be used on this host, or `nil`: the program is missing or not
    /// executable.
    package static func unavailability(program: String = defaultProgram) -> String? {
        guard access(program, X_OK) != 0 else { return nil }
        return "\(program) is not executable here (\(String(cString: strerror(errno)))): format: credstore-encrypted "
            + "needs systemd-creds (systemd 250 or later)"
    }

    package func encrypt(name: String, plaintext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8] {
        try await run("encrypt", name: name, input: plaintext, secretInput: true)
    }

    package func decrypt(name: String, ciphertext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8] {
        try await run("decrypt", name: name, input: ciphertext, secretInput: false)
    }

    /// Runs `systemd-creds VERB --name=NAME - -` with `input` on its standard input. `secretInput`: the input is the
    /// plaintext, never quoted in an error even if the program echoed it.
    private func run(_ verb: String, name: String, input: [UInt8], secretInput: Bool)
        async throws(CredentialCipherFailure) -> [UInt8]
    {
        let operation = "\(verb)ing the credential \(name) with \(program)"
        let timeout = self.timeout
        let status: TerminationStatus
        let output: [UInt8]
        let errorText: String
        let deadline: Task<Bool, Never>
        do {
            let result = try await Subprocess.run(
                .path(FilePath(program)), arguments: [verb, "--name=\(name)", "-", "-"],
                environment: ChildProcess.environment(environment), input: .array(input),
                output: .bytes(limit: Self.outputLimit), error: .string(limit: Self.outputLimit)
            ) { execution in
                // Killed at the deadline (through its pidfd: never another process that got its pid).
                Task {
                    do { try await Task.sleep(for: timeout) } catch { return false }
                    try? execution.send(signal: .kill)
                    return true
                }
            }
            status = result.terminationStatus
            output = result.standardOutput
            errorText = result.standardError
            deadline = result.closureResult
        } catch {
            throw CredentialCipherFailure(
                operation: operation, reason: "could not run it: \(ChildProcess.reason(error, program: program))")
        }
        deadline.cancel()
        let timedOut = await deadline.value
        let message = Self.message(errorText, hiding: secretInput ? input : [])
        switch status {
        case .exited(0):
            return output
        case .exited(let status):
            throw CredentialCipherFailure(operation: operation, reason: "it exited with status \(status)\(message)")
        case .signaled(let signal) where timedOut && signal == SIGKILL:
            throw CredentialCipherFailure(
                operation: operation, reason: "it took longer than \(timeout) and was killed\(message)")
        case .signaled(let signal):
            throw CredentialCipherFailure(operation: operation, reason: "it was killed by signal \(signal)\(message)")
        }
    }

    /// `: ` and the program's standard error on one line, bounded to ``messageLimit`` characters, without control
    /// characters; `""` when it said nothing, or when it holds any line of `hidden` (the plaintext).
    static func message(_ text: String, hiding hidden: [UInt8]) -> String {
        let secretLines = String(decoding: hidden, as: UTF8.self).split(separator: "\n").filter { !$0.isEmpty }
        if secretLines.contains(where: { text.contains($0) }) {
            return ": (its message is withheld: it quotes the input)"
        }
        let line = String(
            text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) }
        ).trimmingSpaces()
        guard !line.isEmpty else { return "" }
        return ": " + (line.count > messageLimit ? String(line.prefix(messageLimit)) + "…" : line)
    }
}
