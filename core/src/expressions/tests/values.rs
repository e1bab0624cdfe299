//! What expressions evaluate to: names, literals, operators, methods and helper functions.

use super::*;

#[test]
fn text_without_expressions_is_returned_unchanged() {
    assert_values(&[
        ("plain text", json!("plain text")),
        (
            "costs $5 {not an expression} 'quoted'",
            json!("costs $5 {not an expression} 'quoted'"),
        ),
        ("", json!("")),
    ]);
    assert!(!has_expressions("costs $5 {x}"));
    assert!(has_expressions("app-${x}"));
}

#[test]
fn a_lone_expression_keeps_its_json_type() {
    assert_values(&[
        ("${trigger.buildInfo.number}", json!(142)),
        ("  ${ trigger.buildInfo.number }\n", json!(142)),
        ("${trigger.parameters.replicas}", json!("3")),
        ("${#toInt(trigger.parameters.replicas)}", json!(3)),
        ("${#stage('Deploy').outputs.healthy}", json!(true)),
        ("${#stage('Bake').context.tags}", json!(["stable", "v1"])),
        (
            "${trigger.buildInfo}",
            json!({ "number": 142, "tag": "v1.4.2" }),
        ),
        ("${previousVersion}", Value::Null),
    ]);
}

#[test]
fn mixed_templates_give_text() {
    assert_values(&[
        (
            "app-${trigger.parameters.env}-${execution.id}",
            json!("app-prod-01J9Z3EXEC"),
        ),
        ("build #${trigger.buildInfo.number}", json!("build #142")),
        ("${1}${2}", json!("12")),
        ("${true} and ${1.5}", json!("true and 1.5")),
        (
            "tags: ${#stage('Bake').context.tags}",
            json!("tags: [\"stable\",\"v1\"]"),
        ),
        ("${ 'a}b' }!", json!("a}b!")),
        ("${ 'x${y' }-${'{'}", json!("x${y-{")),
        ("${ {a: 'x}'}.a }", json!("x}")),
        ("$${application}", json!("$shop")),
    ]);
}

#[test]
fn names_resolve_against_the_root() {
    assert_values(&[
        ("${application}", json!("shop")),
        ("${account}", json!("prod-cluster")),
        ("${parameters.env}", json!("prod")),
        ("${#root.application}", json!("shop")),
        ("${#root['trigger'].type}", json!("manual")),
    ]);
}

#[test]
fn reads_properties_indexes_and_safe_navigation() {
    assert_values(&[
        ("${trigger['parameters'][\"env\"]}", json!("prod")),
        ("${execution.stages[1].name}", json!("Deploy")),
        (
            "${execution.stages[1]['context'].account}",
            json!("prod-cluster"),
        ),
        (
            "${execution.stages[trigger.parameters.replicas].name}",
            json!("Approve rollback"),
        ),
        (
            "${#stage('Bake').outputs.artifacts[0].reference}",
            json!("registry.example.com/shop:1.4.2"),
        ),
        ("${'abc'[1]}", json!("b")),
        ("${{10, 20}[1]}", json!(20)),
        ("${{a: {b: 'deep'}}.a.b}", json!("deep")),
        // Like Java's Map.get, [] on a missing key is null, so optional keys can be read.
        ("${trigger.parameters['missing']}", Value::Null),
        (
            "${trigger.parameters['missing'] ?: 'default'}",
            json!("default"),
        ),
        ("${previousVersion?.name}", Value::Null),
        ("${previousVersion?.toUpperCase()}", Value::Null),
        ("${trigger?.parameters?.env}", json!("prod")),
    ]);
}

#[test]
fn reads_literals_with_spel_quoting() {
    assert_values(&[
        ("${'it''s'}", json!("it's")),
        (r#"${"say ""hi"""}"#, json!("say \"hi\"")),
        (r#"${'mixed "quotes"'}"#, json!("mixed \"quotes\"")),
        ("${42}", json!(42)),
        ("${1.5}", json!(1.5)),
        ("${1e3}", json!(1000.0)),
        ("${TRUE}", json!(true)),
        ("${false}", json!(false)),
        ("${null}", Value::Null),
        ("${{1, 2, 'x'}}", json!([1, 2, "x"])),
        ("${{a: 1, 'b c': 2}}", json!({ "a": 1, "b c": 2 })),
        ("${{}}", json!([])),
        ("${{:}}", json!({})),
        (
            "${{env: trigger.parameters.env, n: 1 + 1}}",
            json!({ "env": "prod", "n": 2 }),
        ),
    ]);
}

#[test]
fn arithmetic_and_text_joining_follow_java() {
    assert_values(&[
        ("${1 + 2 * 3}", json!(7)),
        ("${(1 + 2) * 3}", json!(9)),
        ("${7 / 2}", json!(3)),
        ("${7 % 3}", json!(1)),
        ("${7.0 / 2}", json!(3.5)),
        ("${10 div 3 + 10 MOD 3}", json!(4)),
        ("${-3 + 1}", json!(-2)),
        ("${-(2 * 3)}", json!(-6)),
        ("${+4}", json!(4)),
        ("${'v' + 1}", json!("v1")),
        ("${1 + 2 + 'x'}", json!("3x")),
        ("${'x' + 1 + 2}", json!("x12")),
        ("${'a' + null}", json!("anull")),
        ("${'n=' + {1, 2}}", json!("n=[1,2]")),
        ("${#toInt(trigger.parameters.replicas) * 2}", json!(6)),
    ]);
}

#[test]
fn comparisons_and_equality_follow_the_documented_rules() {
    assert_values(&[
        ("${1 + 2 * 3 == 7 && !false}", json!(true)),
        ("${trigger.parameters.replicas == 3}", json!(true)),
        ("${trigger.parameters.replicas eq '3'}", json!(true)),
        ("${trigger.parameters.replicas != 4}", json!(true)),
        ("${1 == 1.0}", json!(true)),
        ("${trigger.parameters.canary == true}", json!(true)),
        ("${previousVersion == null}", json!(true)),
        ("${'a' ne 'b'}", json!(true)),
        ("${{1, 2} == {1, 2}}", json!(true)),
        ("${trigger.parameters.replicas > 2}", json!(true)),
        ("${'10' > '9'}", json!(false)),
        ("${2 lt 10}", json!(true)),
        ("${3 ge 3}", json!(true)),
        ("${2.5 <= 2}", json!(false)),
        ("${'b' gt 'a'}", json!(true)),
        (
            "${trigger.parameters.env matches 'prod|staging'}",
            json!(true),
        ),
        (
            r"${trigger.buildInfo.tag matches '^v\d+\.\d+\.\d+$'}",
            json!(true),
        ),
        (
            "${trigger.user matches '[a-z]+@example[.]com'}",
            json!(true),
        ),
        ("${trigger.parameters.env matches 'pro'}", json!(false)),
    ]);
}

#[test]
fn conditions_are_strict_booleans_or_their_text() {
    assert_values(&[
        (
            "${trigger.parameters.canary && trigger.parameters.env == 'prod'}",
            json!(true),
        ),
        ("${trigger.parameters.canary and not false}", json!(true)),
        ("${!trigger.parameters.canary}", json!(false)),
        ("${false || 'FALSE'}", json!(false)),
        ("${false or true}", json!(true)),
        ("${trigger.parameters.env == 'prod' ? 3 : 1}", json!(3)),
        (
            "${trigger.parameters.canary ? 'canary' : 'full'}",
            json!("canary"),
        ),
        ("${false ? 1 : true ? 2 : 3}", json!(2)),
        // The right side is not evaluated when the left decides.
        ("${false && previousVersion.name}", json!(false)),
        ("${true || #toInt('x') > 1}", json!(true)),
    ]);
}

#[test]
fn elvis_replaces_null_and_empty_text_only() {
    assert_values(&[
        ("${trigger.parameters.empty ?: 'none'}", json!("none")),
        ("${previousVersion ?: 'none'}", json!("none")),
        ("${trigger.parameters.env ?: 'none'}", json!("prod")),
        ("${0 ?: 5}", json!(0)),
        ("${false ?: true}", json!(false)),
        (
            "${previousVersion ?: trigger.parameters.empty ?: 'last'}",
            json!("last"),
        ),
    ]);
}

#[test]
fn string_methods_follow_java() {
    assert_values(&[
        ("${trigger.parameters.env.toUpperCase()}", json!("PROD")),
        ("${'MiXed'.toLowerCase()}", json!("mixed")),
        ("${'  padded \t'.trim()}", json!("padded")),
        ("${'héllo'.length()}", json!(5)),
        ("${trigger.parameters.empty.isEmpty()}", json!(true)),
        ("${trigger.parameters.regions.contains('eu-')}", json!(true)),
        ("${trigger.buildInfo.tag.startsWith('v1')}", json!(true)),
        ("${trigger.user.endsWith('@example.com')}", json!(true)),
        ("${trigger.parameters.replicas.equals('3')}", json!(true)),
        ("${trigger.parameters.replicas.equals(3)}", json!(false)),
        (
            "${'PROD'.equalsIgnoreCase(trigger.parameters.env)}",
            json!(true),
        ),
        ("${trigger.user.indexOf('@')}", json!(3)),
        ("${trigger.user.indexOf('#')}", json!(-1)),
        ("${trigger.buildInfo.tag.substring(1)}", json!("1.4.2")),
        ("${trigger.buildInfo.tag.substring(1, 2)}", json!("1")),
        ("${'abc'.substring(3)}", json!("")),
        (
            "${trigger.buildInfo.tag.replace('.', '-')}",
            json!("v1-4-2"),
        ),
        (
            r"${trigger.buildInfo.tag.replaceAll('[^0-9]', '')}",
            json!("142"),
        ),
        (
            r"${trigger.buildInfo.tag.replaceAll('v(\d+)\.(\d+).*', '$1.$2')}",
            json!("1.4"),
        ),
        (
            "${trigger.parameters.regions.split(',')}",
            json!(["us-east-1", "eu-west-1"]),
        ),
        (
            "${trigger.parameters.regions.split(',')[1]}",
            json!("eu-west-1"),
        ),
        ("${trigger.parameters.regions.split(',').size()}", json!(2)),
        ("${trigger.parameters.env.charAt(0)}", json!("p")),
        ("${trigger.parameters.env.matches('p.*')}", json!(true)),
        (
            "${'s-' + trigger.buildInfo.number.toString()}",
            json!("s-142"),
        ),
    ]);
}

#[test]
fn list_and_map_methods_follow_java() {
    assert_values(&[
        ("${execution.stages.size()}", json!(4)),
        ("${#stage('Approve').outputs.isEmpty()}", json!(true)),
        (
            "${#stage('Bake').context.tags.contains('stable')}",
            json!(true),
        ),
        ("${{'1', '2'}.contains(2)}", json!(true)),
        ("${#stage('Bake').context.tags.get(1)}", json!("v1")),
        ("${{}.isEmpty()}", json!(true)),
        ("${trigger.parameters.size()}", json!(5)),
        ("${trigger.parameters.containsKey('env')}", json!(true)),
        ("${trigger.parameters.containsKey('nope')}", json!(false)),
        ("${trigger.parameters.get('env')}", json!("prod")),
        ("${trigger.parameters.get('nope')}", Value::Null),
        ("${trigger.buildInfo.keySet()}", json!(["number", "tag"])),
        ("${{a: 1}.toString()}", json!("{\"a\":1}")),
    ]);
}

#[test]
fn spinnaker_helper_functions() {
    assert_values(&[
        ("${#toInt('42')}", json!(42)),
        ("${#toInt(7)}", json!(7)),
        ("${#toFloat('2.5')}", json!(2.5)),
        ("${#toFloat('2')}", json!(2.0)),
        ("${#toBoolean('TRUE')}", json!(true)),
        ("${#toBoolean(trigger.parameters.empty)}", json!(false)),
        ("${#toBoolean(false)}", json!(false)),
        (
            "${#toJson(trigger.buildInfo)}",
            json!("{\"number\":142,\"tag\":\"v1.4.2\"}"),
        ),
        ("${#toJson('x')}", json!("\"x\"")),
        (r#"${#readJson('{"a": [1, 2]}').a[1]}"#, json!(2)),
        (
            "${#readJson(#toJson(trigger.buildInfo)) == trigger.buildInfo}",
            json!(true),
        ),
        ("${#alphanumerical('shop_v1.4-2!')}", json!("shopv142")),
        ("${#stage('Deploy').status}", json!("SUCCEEDED")),
        ("${#stage('Deploy').context.account}", json!("prod-cluster")),
        (
            "${#stage('Deploy')['outputs']['deployedServerGroup']}",
            json!("shop-v042"),
        ),
        ("${#stage('Bake').refId}", json!("1")),
        ("${#judgment('Approve')}", json!("Promote")),
        ("${#judgement('Approve') == 'Promote'}", json!(true)),
    ]);
}

#[test]
fn the_messages_from_the_brief() {
    let root = json!({ "trigger": { "parameters": { "env": "prod", "replicas": "3" } } });
    let message = |template: &str| evaluate(template, &root).unwrap_err().to_string();
    assert_eq!(
        message("${trigger.parameters.envv}"),
        "${trigger.parameters.envv}: trigger.parameters has no key \"envv\" (it has: env, replicas)"
    );
    assert_eq!(
        message("${#toInt('abc')}"),
        "${#toInt('abc')}: #toInt cannot turn \"abc\" into a whole number"
    );
    assert_eq!(
        message("${trigger.parameters.}"),
        "${trigger.parameters.}: expected a property name after \".\" at column 20"
    );
}
