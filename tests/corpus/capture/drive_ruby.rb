# Ruby Net::SMTP (Debian ruby 3.1, net-smtp 0.3.1) against each scenario.
# styles: full    = the first 4 lines of e.full_message(highlight: false) (what an uncaught exception prints)
#         inspect = e.inspect (what `logger.error e.inspect` writes)
# Run: ruby drive_ruby.rb [scenario...]
require 'net/smtp'
require 'json'
require 'openssl'
require 'fileutils'

RUN = ENV['CAPTURE_RUN'] || '/tmp/capture/run'
OUT = ENV['CAPTURE_OUT'] || '/tmp/capture/out'
scenarios = JSON.parse(File.read("#{RUN}/scenarios.json"))
ports = JSON.parse(File.read("#{RUN}/ports.json"))
only = ARGV

def save(style, name, text)
  d = "#{OUT}/ruby/#{style}"
  FileUtils.mkdir_p(d)
  File.write("#{d}/#{name}.txt", text)
end

def deliver(mode, port)
  smtp = Net::SMTP.new('localhost', port, tls_verify: true, ssl_context_params: { ca_file: "#{RUN}/ca.pem" })
  smtp.open_timeout = 4
  smtp.read_timeout = 4
  if mode == 'ssl'
    smtp.enable_tls
  elsif mode.start_with?('starttls')
    smtp.enable_starttls
  else
    smtp.disable_starttls
  end
  msg = "From: app@example.test\r\nTo: user@example.test\r\nSubject: capture\r\n\r\nhello\r\n"
  if mode.end_with?('noauth')
    smtp.start('client.example.test') { |s| s.send_message(msg, 'app@example.test', 'user@example.test') }
  else
    smtp.start('client.example.test', 'demo@example.test', 'wrong-or-right-password', :plain) do |s|
      s.send_message(msg, 'app@example.test', 'user@example.test')
    end
  end
end

scenarios.each do |name, sc|
  next if !only.empty? && !only.include?(name)
  begin
    deliver(sc['mode'], ports[name])
  rescue Exception => e
    save('full', name, e.full_message(highlight: false, order: :top).lines.first(4).join.chomp)
    save('inspect', name, e.inspect)
  end
  puts name
end
